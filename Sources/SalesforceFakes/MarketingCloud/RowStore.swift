internal import CPrefetch
import JSONCore

/// The rows of one data extension: primary-key texts and values in insertion order, behind an open-addressing
/// index.
///
/// Why not `[String: [JSONValue]]`: a 50-row rowset against a million stored rows paid about 1.6 µs per row in
/// cache misses (bucket, key, key text, row buffer), one after the other. Here every level has a known address,
/// so ``prefetch(_:)`` can start all of a batch's loads before any row is written and the misses overlap.
/// Rows are never deleted (the API has no delete), which keeps the index simple.
struct RowStore: Sendable {
    /// One index slot: the key's hash and its row + 1 (0 = empty).
    struct Slot: Sendable {
        var hash: Int
        var rowPlusOne: Int
    }

    /// Values per row (the data extension's column count).
    let stride: Int
    /// Primary-key text of each row.
    private(set) var keys: [String] = []
    /// Every row's values, row after row.
    private var cells: [JSONValue] = []
    private var slots: [Slot]
    private var mask: Int

    init(stride: Int, capacity: Int = 8) {
        self.stride = max(1, stride)
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(hash: 0, rowPlusOne: 0), count: size)
        mask = size - 1
    }

    var count: Int { keys.count }

    /// Room for `count` rows without growing the index.
    mutating func reserveCapacity(_ count: Int) {
        keys.reserveCapacity(count)
        cells.reserveCapacity(count * stride)
        if count * 2 > slots.count { grow(to: count * 2) }
    }

    /// The row whose key is `key`.
    func row(for key: String, hash: Int) -> Int? {
        var index = hash & mask
        while true {
            let slot = slots[index]
            if slot.rowPlusOne == 0 { return nil }
            if slot.hash == hash, keys[slot.rowPlusOne - 1] == key { return slot.rowPlusOne - 1 }
            index = (index + 1) & mask
        }
    }

    /// Adds a row under a key that is not present yet; returns its row number.
    @discardableResult
    mutating func append(key: String, hash: Int, values: [JSONValue]) -> Int {
        precondition(values.count == stride, "a row needs one value per column")
        if (keys.count + 1) * 2 > slots.count { grow(to: slots.count * 2) }
        let row = keys.count
        keys.append(key)
        cells.append(contentsOf: values)
        place(Slot(hash: hash, rowPlusOne: row + 1))
        return row
    }

    /// One value of a row.
    subscript(row: Int, column: Int) -> JSONValue {
        get { cells[row * stride + column] }
        set { cells[row * stride + column] = newValue }
    }

    /// A row's values in column order.
    func values(ofRow row: Int) -> ArraySlice<JSONValue> { cells[(row * stride)..<((row + 1) * stride)] }

    /// Row numbers ordered by key text (for exports and reads).
    var rowsByKey: [Int] { keys.indices.sorted { keys[$0] < keys[$1] } }

    /// Starts loading what looking up and writing these keys will touch, in stages: every key's index slot,
    /// then (slots now in cache) each found row's key and cells, then each key's text. Nothing here changes
    /// the store, and a key it does not find is simply not warmed.
    func prefetch(_ hashes: [Int]) {
        slots.withUnsafeBufferPointer { slotBase in
            for hash in hashes { sfd_prefetch_read(slotBase.baseAddress! + (hash & mask)) }
            var rows: [Int] = []
            rows.reserveCapacity(hashes.count)
            for hash in hashes {
                let slot = slotBase[hash & mask]
                if slot.rowPlusOne != 0, slot.hash == hash { rows.append(slot.rowPlusOne - 1) }
            }
            keys.withUnsafeBufferPointer { keyBase in
                cells.withUnsafeBufferPointer { cellBase in
                    for row in rows {
                        sfd_prefetch_read(keyBase.baseAddress! + row)
                        sfd_prefetch_write(cellBase.baseAddress! + row * stride)
                    }
                }
                for row in rows {
                    keyBase[row].utf8.withContiguousStorageIfAvailable { sfd_prefetch_read($0.baseAddress) }
                }
            }
        }
    }

    private mutating func place(_ slot: Slot) {
        var index = slot.hash & mask
        while slots[index].rowPlusOne != 0 { index = (index + 1) & mask }
        slots[index] = slot
    }

    private mutating func grow(to minimum: Int) {
        var size = slots.count
        while size < minimum { size <<= 1 }
        let old = slots
        slots = Array(repeating: Slot(hash: 0, rowPlusOne: 0), count: size)
        mask = size - 1
        for slot in old where slot.rowPlusOne != 0 { place(slot) }
    }
}
