internal import CPrefetch
import JSONCore

#if canImport(Glibc)
    import Glibc
#endif

/// Keyed records in insertion order behind an open-addressing index: a data extension's rows (cells are
/// `JSONValue`s, `stride` per row) and the tenant's contact keys (one contact id per key, ``ContactStore``).
///
/// Why not `[String: [JSONValue]]`: a 50-row rowset against a million stored rows paid about 1.6 µs per row in
/// cache misses (bucket, key, key text, row buffer), one after the other. Here a row costs two dependent loads:
/// its index slot, which holds both the row number and where the key's bytes are, then the key bytes and the
/// row's cells, which sit at addresses the slot gives. ``prefetch(_:)`` starts both stages for a whole batch
/// before any row is written, so the misses overlap. Keys are bytes in one arena rather than `String`s: a
/// String would add a heap object per row (a third dependent load, and a retain and release on its header).
/// Keys match byte for byte as UTF-8 (no Unicode normalization, no case folding: the reference says nothing
/// of Marketing Cloud's key collation, so the fake takes the narrowest reading). A deleted row (SOAP Delete of a
/// DataExtensionObject) keeps its slot and its key and is only marked removed: lookups and reads skip it, and a
/// later write of the same key revives it in place. Deletes are rare, so the index stays simple.
struct RowStore<Cell: Sendable>: Sendable {
    /// One index slot, 16 bytes so that four share a cache line.
    struct Slot: Sendable {
        /// The high half of the key's hash. Its top bits also choose the home slot, so the index can grow
        /// (to 2³² slots) without rehashing keys.
        var tag: UInt32
        /// The row + 1 (0 = empty slot).
        var rowPlusOne: UInt32
        /// Where the key's length and bytes start in ``keyBytes``.
        var keyOffset: Int
    }

    /// Values per row (the data extension's column count).
    let stride: Int
    /// Every key as a 4-byte little-endian length followed by its UTF-8 bytes, in row order.
    private var keyBytes: [UInt8] = []
    /// Where each row's key starts in ``keyBytes`` (for reads in row order; lookups use the slot's copy).
    private var keyOffsets: [Int] = []
    /// Every row's values, row after row.
    private var cells: [Cell] = []
    private var slots: [Slot]
    private var mask: Int
    /// How far to shift a tag right to get its home slot: 32 − log2(slot count).
    private var shift: Int
    /// Rows deleted since they were added (their slots and keys stay; see the type's comment).
    private var removed: Set<Int> = []

    init(stride: Int, capacity: Int = 8) {
        self.stride = max(1, stride)
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(tag: 0, rowPlusOne: 0, keyOffset: 0), count: size)
        mask = size - 1
        shift = 32 - size.trailingZeroBitCount
    }

    /// Rows ever added, deleted ones included: row numbers run below it.
    var count: Int { keyOffsets.count }
    /// Rows present now.
    var liveCount: Int { keyOffsets.count - removed.count }

    /// Deletes a row: lookups and reads no longer see it.
    mutating func remove(row: Int) { removed.insert(row) }

    /// Room for `count` rows without growing the index.
    mutating func reserveCapacity(_ count: Int) {
        HugePages.reserve(&keyOffsets, capacity: count)
        HugePages.reserve(&keyBytes, capacity: keyBytes.count + (count - self.count) * 28)
        HugePages.reserve(&cells, capacity: count * stride)
        if count * 2 > slots.count { grow(to: count * 2) }
    }

    /// The row whose key is `key`.
    func row(for key: String, hash: Int) -> Int? {
        guard let row = storedRow(for: key, hash: hash) else { return nil }
        return removed.isEmpty || !removed.contains(row) ? row : nil
    }

    /// The row that holds `key`, deleted or not.
    private func storedRow(for key: String, hash: Int) -> Int? {
        var key = key
        return key.withUTF8 { wanted in
            keyBytes.withUnsafeBufferPointer { arena in
                let tag = Self.tag(hash)
                var index = Int(tag) >> shift
                while true {
                    let slot = slots[index]
                    if slot.rowPlusOne == 0 { return nil }
                    if slot.tag == tag, Self.key(at: slot.keyOffset, in: arena, equals: wanted) {
                        return Int(slot.rowPlusOne) - 1
                    }
                    index = (index + 1) & mask
                }
            }
        }
    }

    /// Adds a row under a key that is not present yet (or was deleted: its row is revived with these values);
    /// returns its row number.
    @discardableResult
    mutating func append(key: String, hash: Int, values: [Cell]) -> Int {
        precondition(values.count == stride, "a row needs one value per column")
        if !removed.isEmpty, let row = storedRow(for: key, hash: hash), removed.remove(row) != nil {
            cells.replaceSubrange((row * stride)..<((row + 1) * stride), with: values)
            return row
        }
        precondition(count < Int(UInt32.max - 1), "a data extension holds fewer than 4 billion rows")
        if (count + 1) * 2 > slots.count { grow(to: slots.count * 2) }
        let row = count
        let offset = keyBytes.count
        let length = UInt32(key.utf8.count)
        HugePages.reserveForAppend(&keyBytes, extra: 4 + Int(length))
        HugePages.reserveForAppend(&keyOffsets)
        HugePages.reserveForAppend(&cells, extra: stride)
        withUnsafeBytes(of: length.littleEndian) { keyBytes.append(contentsOf: $0) }
        keyBytes.append(contentsOf: key.utf8)
        keyOffsets.append(offset)
        cells.append(contentsOf: values)
        place(Slot(tag: Self.tag(hash), rowPlusOne: UInt32(row + 1), keyOffset: offset))
        return row
    }

    /// One value of a row.
    subscript(row: Int, column: Int) -> Cell {
        get { cells[row * stride + column] }
        set { cells[row * stride + column] = newValue }
    }

    /// A row's values in column order.
    func values(ofRow row: Int) -> ArraySlice<Cell> { cells[(row * stride)..<((row + 1) * stride)] }

    /// A row's primary-key text.
    func key(ofRow row: Int) -> String {
        keyBytes.withUnsafeBufferPointer { arena in
            let offset = keyOffsets[row]
            return String(
                decoding: UnsafeBufferPointer(
                    rebasing: arena[(offset + 4)..<(offset + 4 + Self.length(at: offset, in: arena))]), as: UTF8.self)
        }
    }

    /// Row numbers ordered by key text (for exports and reads).
    var rowsByKey: [Int] {
        let rows = removed.isEmpty ? Array(0..<count) : (0..<count).filter { !removed.contains($0) }
        let keys = rows.map { key(ofRow: $0) }
        return keys.indices.sorted { keys[$0] < keys[$1] }.map { rows[$0] }
    }

    /// Starts loading what looking up and writing these keys will touch, in two stages: every key's home slot,
    /// then (slots now arriving) each found row's key bytes and cells, every cache line of them. Nothing here
    /// changes the store; a key whose home slot holds another key is simply not warmed.
    func prefetch(_ hashes: [Int]) {
        let cellBytes = stride * MemoryLayout<Cell>.stride
        slots.withUnsafeBufferPointer { slotBase in
            for hash in hashes { sfd_prefetch_read(slotBase.baseAddress! + (Int(Self.tag(hash)) >> shift)) }
            keyBytes.withUnsafeBufferPointer { arena in
                cells.withUnsafeBufferPointer { cellBase in
                    let cellStart = UnsafeRawPointer(cellBase.baseAddress!)
                    for hash in hashes {
                        let tag = Self.tag(hash)
                        let slot = slotBase[Int(tag) >> shift]
                        guard slot.rowPlusOne != 0, slot.tag == tag else { continue }
                        sfd_prefetch_read(arena.baseAddress! + slot.keyOffset)
                        let rowStart = cellStart + (Int(slot.rowPlusOne) - 1) * cellBytes
                        // A row of cells usually spans two or three lines; warm each line it touches.
                        var line = Int(bitPattern: rowStart) & ~63
                        let end = Int(bitPattern: rowStart) + cellBytes
                        while line < end {
                            sfd_prefetch_write(UnsafeRawPointer(bitPattern: line))
                            line += 64
                        }
                    }
                }
            }
        }
    }

    private static func tag(_ hash: Int) -> UInt32 { UInt32(truncatingIfNeeded: UInt(bitPattern: hash) >> 32) }

    private static func length(at offset: Int, in arena: UnsafeBufferPointer<UInt8>) -> Int {
        Int(arena[offset]) | Int(arena[offset + 1]) << 8 | Int(arena[offset + 2]) << 16 | Int(arena[offset + 3]) << 24
    }

    private static func key(
        at offset: Int, in arena: UnsafeBufferPointer<UInt8>, equals wanted: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard length(at: offset, in: arena) == wanted.count else { return false }
        guard let wantedBase = wanted.baseAddress else { return true }
        return memcmp(arena.baseAddress! + offset + 4, wantedBase, wanted.count) == 0
    }

    private mutating func place(_ slot: Slot) {
        var index = Int(slot.tag) >> shift
        while slots[index].rowPlusOne != 0 { index = (index + 1) & mask }
        slots[index] = slot
    }

    private mutating func grow(to minimum: Int) {
        var size = slots.count
        while size < minimum { size <<= 1 }
        let old = slots
        precondition(size <= 1 << 32, "the index holds at most 2^32 slots")
        slots = HugePages.array(repeating: Slot(tag: 0, rowPlusOne: 0, keyOffset: 0), count: size)
        mask = size - 1
        shift = 32 - size.trailingZeroBitCount
        for slot in old where slot.rowPlusOne != 0 { place(slot) }
    }
}
