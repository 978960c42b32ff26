/// A dictionary key that carries its string's hash inline and compares hashes before strings.
///
/// `Dictionary` compares the probed key with every occupied bucket it visits; with plain `String` keys of
/// more than 15 bytes (emails) each comparison reads the stored key's heap buffer, a cache miss once a table
/// holds a million entries. Comparing the inline hashes first rejects the wrong buckets without that read.
struct HashedKey: Hashable, Comparable, Sendable {
    let text: String
    let hash: Int

    init(_ text: String) {
        self.text = text
        hash = text.hashValue
    }

    static func == (a: HashedKey, b: HashedKey) -> Bool { a.hash == b.hash && a.text == b.text }

    static func < (a: HashedKey, b: HashedKey) -> Bool { a.text < b.text }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}
