#ifndef SFDEST_CLIBFUZZER_H
#define SFDEST_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver, for an executable that has its own main (SwiftPM names an executable's entry point itself, so
// libFuzzer's main cannot be used): https://llvm.org/docs/LibFuzzer.html#using-libfuzzer-as-a-library
// Linked only in the fuzz build (`-sanitize=fuzzer`); the ordinary build declares it and never calls it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
