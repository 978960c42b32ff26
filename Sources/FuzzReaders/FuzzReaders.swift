import FuzzTargets

#if canImport(Glibc)
    import Glibc
#endif

#if FUZZING
    import CLibFuzzer

    // The fuzz build (`make fuzz`: `-sanitize=fuzzer,address -parse-as-library -DFUZZING`): SwiftPM links an
    // executable's `main` to `FuzzReaders_main`, which hands the command line to libFuzzer's driver, which calls
    // `checkOneInput` with each input of the target SFDEST_FUZZ_TARGET names.

    /// The target named by the environment, read once.
    enum Selected {
        static let target: FuzzTarget = {
            let name = getenv("SFDEST_FUZZ_TARGET").map { String(cString: $0) } ?? ""
            guard let target = FuzzTarget(rawValue: name) else {
                let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
                fatalError("set SFDEST_FUZZ_TARGET to one of: \(known)")
            }
            return target
        }()
    }

    /// Checks one input (libFuzzer's entry point by name, which its driver also refers to).
    @_cdecl("LLVMFuzzerTestOneInput")
    func checkOneInput(_ start: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        if let broken = Selected.target.check(bytes) { fatalError("\(Selected.target.rawValue): \(broken)") }
        return 0
    }

    @_cdecl("FuzzReaders_main")
    func fuzzReadersMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var count = argc
        var arguments = argv
        _ = Selected.target
        return LLVMFuzzerRunDriver(&count, &arguments) { start, size in checkOneInput(start, size) }
    }
#else
    /// The ordinary build: nothing to fuzz with.
    @main enum FuzzReadersWithoutLibFuzzer {
        static func main() {
            let message = Array("FuzzReaders: built without libFuzzer; run `make fuzz` (contrib/fuzz/run.sh)\n".utf8)
            _ = message.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            exit(2)
        }
    }
#endif
