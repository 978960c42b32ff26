// Cache prefetch hints, which Swift cannot express. Prefixed sfd_ like the other shims.
#ifndef SFDEST_CPREFETCH_H
#define SFDEST_CPREFETCH_H

/// Asks the CPU to start loading the cache line at `address` for writing, without waiting for it.
static inline void sfd_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// Asks the CPU to start loading the cache line at `address` for reading, without waiting for it.
static inline void sfd_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
