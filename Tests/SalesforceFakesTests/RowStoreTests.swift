import JSONCore
import Testing

@testable import SalesforceFakes

/// The data extension row index on its own: lookups, colliding hashes, growth, huge-page growth and reads.
@Suite struct RowStoreTests {
    @Test func findsWhatWasAppendedAndNothingElse() {
        var store = RowStore<JSONValue>(stride: 2)
        let first = store.append(key: "a@example.com", hash: "a@example.com".hashValue, values: ["a@example.com", 1])
        let second = store.append(key: "b@example.com", hash: "b@example.com".hashValue, values: ["b@example.com", 2])
        #expect(store.row(for: "a@example.com", hash: "a@example.com".hashValue) == first)
        #expect(store.row(for: "b@example.com", hash: "b@example.com".hashValue) == second)
        #expect(store.row(for: "c@example.com", hash: "c@example.com".hashValue) == nil)
        #expect(store[second, 1] == 2)
        #expect(store.key(ofRow: first) == "a@example.com")
    }

    /// Keys that share a whole hash (and so a tag and a home slot) are told apart by their bytes, including
    /// keys that are prefixes of each other and the empty key. Keys match byte for byte: "é" precomposed and
    /// decomposed are two rows (Swift's `==` would call them equal), as they are two values to a database.
    @Test func collidingHashesCompareKeyBytes() {
        var store = RowStore<JSONValue>(stride: 1)
        let keys = ["", "a", "ab", "abc", "b", "ba", "é", "e\u{301}"]
        for (position, key) in keys.enumerated() { store.append(key: key, hash: 42, values: [.integer(position)]) }
        for (position, key) in keys.enumerated() {
            #expect(store.row(for: key, hash: 42) == position, "key \(key.debugDescription)")
        }
        #expect(store.row(for: "abcd", hash: 42) == nil)
    }

    /// Growing the index re-places every slot from its tag alone, so hashes that differ only in their low
    /// bits, or only in their high bits, must all survive many doublings.
    @Test func survivesGrowthWithAwkwardHashes() {
        var store = RowStore<JSONValue>(stride: 1)
        let count = 5000
        func hash(_ index: Int) -> Int { index % 2 == 0 ? index : index << 40 }
        for index in 0..<count { store.append(key: "k\(index)", hash: hash(index), values: [.integer(index)]) }
        #expect(store.count == count)
        for index in 0..<count {
            guard let row = store.row(for: "k\(index)", hash: hash(index)) else {
                Issue.record("k\(index) lost after growth")
                return
            }
            #expect(store[row, 0] == .integer(index))
        }
    }

    /// Large enough that the cells, keys and index go through the huge-page path (4 MiB and up); writes
    /// and reads after it behave as before.
    @Test func largeStoreKeepsEveryRow() {
        var store = RowStore<JSONValue>(stride: 4)
        store.reserveCapacity(60_000)
        for index in 0..<100_000 {
            let key = "user\(index)@example.com"
            store.append(key: key, hash: key.hashValue, values: [.string(key), .integer(index), .bool(true), .null])
        }
        for index in stride(from: 0, to: 100_000, by: 997) {
            let key = "user\(index)@example.com"
            let row = store.row(for: key, hash: key.hashValue)
            #expect(row == index)
            if let row { #expect(store[row, 1] == .integer(index)) }
        }
        store.prefetch((0..<50).map { "user\($0 * 1999)@example.com".hashValue } + [12345])
        store[7, 3] = "changed"
        #expect(Array(store.values(ofRow: 7)) == [.string("user7@example.com"), .integer(7), .bool(true), "changed"])
    }

    @Test func rowsByKeyOrdersByKeyText() {
        var store = RowStore<JSONValue>(stride: 1)
        for key in ["m", "b", "z", "a"] { store.append(key: key, hash: key.hashValue, values: [.string(key)]) }
        #expect(store.rowsByKey.map { store.key(ofRow: $0) } == ["a", "b", "m", "z"])
    }

    /// Copies are values: changing one leaves the other (a seed's initial state) as it was.
    @Test func copiesAreIndependent() {
        var original = RowStore<JSONValue>(stride: 1)
        original.append(key: "a", hash: 1, values: [1])
        var copy = original
        copy[0, 0] = 2
        copy.append(key: "b", hash: 2, values: [3])
        #expect(original[0, 0] == 1)
        #expect(original.count == 1)
        #expect(original.row(for: "b", hash: 2) == nil)
    }
}

@Suite struct HugePagesTests {
    @Test func reserveKeepsElementsAndCapacity() {
        var numbers = Array(0..<1000)
        HugePages.reserve(&numbers, capacity: 1_000_000)
        #expect(numbers.capacity >= 1_000_000)
        #expect(numbers == Array(0..<1000))
        for value in 1000..<1_000_000 { numbers.append(value) }
        #expect(numbers.count == 1_000_000)
        #expect(numbers[999_999] == 999_999)
    }

    @Test func repeatingFillsEveryElement() {
        let large = HugePages.array(repeating: 7, count: 1 << 20)
        #expect(large.count == 1 << 20)
        #expect(large.allSatisfy { $0 == 7 })
    }
}
