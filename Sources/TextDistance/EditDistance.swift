/// Levenshtein distance, for near-miss notes: which known route or journal entry a request came closest to (the
/// fakes), which org field a misspelt mapping name meant (the client's preflight). One definition for both, in a
/// module with no dependencies, because the client must not link the fakes' HTTP server.
package enum EditDistance {
    /// The fewest single-element insertions, deletions and substitutions that turn `a` into `b`: bytes for paths,
    /// characters for names.
    package static func between<Element: Equatable>(_ a: [Element], _ b: [Element]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
