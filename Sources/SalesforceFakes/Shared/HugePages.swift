#if canImport(Glibc)
    import Glibc
#endif

/// Growth for the large arrays that requests read at random places (a data extension's index and cells), on
/// transparent huge pages where the kernel offers them.
///
/// Why: at a million stored rows those arrays span a few hundred MiB. In 4 KiB pages nearly every row lookup
/// also misses the TLB, and under a hypervisor's nested paging that walk costs about as much as the cache miss
/// itself; it made a 50-row rowset about 25% slower at 1M rows than at 1k. In 2 MiB pages the same arrays need
/// a few hundred TLB entries. Debian's default (`transparent_hugepage=madvise`) gives huge pages only to
/// ranges a process marks with `madvise(MADV_HUGEPAGE)`, so new storage is marked before anything touches it:
/// pages fault in huge from the start. Where the kernel says no (or `never`), this changes nothing but speed.
enum HugePages {
    /// Arrays smaller than this stay on the normal path: a huge page would only waste memory.
    static let threshold = 4 << 20
    static let pageSize = 2 << 20

    /// Makes room for `capacity` elements. Large arrays get fresh storage marked for huge pages before the
    /// old elements are copied in; small ones grow as arrays do.
    static func reserve<Element>(_ array: inout [Element], capacity: Int) {
        guard capacity > array.capacity else { return }
        guard capacity * MemoryLayout<Element>.stride >= threshold else {
            array.reserveCapacity(capacity)
            return
        }
        let old = array
        array = [Element](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            advise(UnsafeMutableRawBufferPointer(buffer))
            initialized = buffer.initialize(fromContentsOf: old)
        }
    }

    /// Room for at least one more run of `extra` elements, doubling (as `Array` does) when full.
    static func reserveForAppend<Element>(_ array: inout [Element], extra: Int = 1) {
        let needed = array.count + extra
        if needed > array.capacity { reserve(&array, capacity: max(needed, array.capacity * 2)) }
    }

    /// An array of `count` copies of `value`, marked for huge pages when large.
    static func array<Element>(repeating value: Element, count: Int) -> [Element] {
        guard count * MemoryLayout<Element>.stride >= threshold else { return Array(repeating: value, count: count) }
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            advise(UnsafeMutableRawBufferPointer(buffer))
            buffer.initialize(repeating: value)
            initialized = count
        }
    }

    /// Marks the whole 2 MiB pages inside `buffer`. The edges stay small pages: madvise wants page-aligned
    /// bounds, and the bytes around the buffer belong to the allocator.
    private static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
        #if canImport(Glibc)
            guard let base = buffer.baseAddress else { return }
            let start = (Int(bitPattern: base) + pageSize - 1) & ~(pageSize - 1)
            let end = (Int(bitPattern: base) + buffer.count) & ~(pageSize - 1)
            guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
            // A refusal (EINVAL where THP is compiled out) only means small pages; nothing to report.
            _ = madvise(pointer, end - start, MADV_HUGEPAGE)
        #endif
    }
}
