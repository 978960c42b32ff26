/// A line diff in unified format (`---`/`+++`, `@@` hunks, three lines of context), for golden mismatches.
package enum UnifiedDiff {
    package static func make(
        expected: String, actual: String, expectedName: String, actualName: String, context: Int = 3
    ) -> String {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Longest common subsequence table; transcripts are hundreds of lines, so O(n·m) is fine.
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        enum Edit {
            case same(String)
            case removed(String)
            case added(String)
        }
        var edits: [Edit] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                edits.append(.same(a[i]))
                i += 1
                j += 1
            } else if i < a.count, j == b.count || table[i + 1][j] >= table[i][j + 1] {
                // Removals first on a tie, as diff(1) prints a changed line: "-old" then "+new".
                edits.append(.removed(a[i]))
                i += 1
            } else {
                edits.append(.added(b[j]))
                j += 1
            }
        }
        let changed = edits.indices.filter { if case .same = edits[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return "" }
        var output = ["--- \(expectedName)", "+++ \(actualName)"]
        var index = 0
        while index < changed.count {
            var start = max(0, changed[index] - context)
            var end = min(edits.count, changed[index] + context + 1)
            while index + 1 < changed.count, changed[index + 1] - context <= end {
                index += 1
                end = min(edits.count, changed[index] + context + 1)
            }
            // Line numbers of the hunk in each file.
            var oldLine = 1
            var newLine = 1
            for edit in edits[..<start] {
                switch edit {
                case .same:
                    oldLine += 1
                    newLine += 1
                case .removed: oldLine += 1
                case .added: newLine += 1
                }
            }
            var oldCount = 0
            var newCount = 0
            var lines: [String] = []
            for edit in edits[start..<end] {
                switch edit {
                case .same(let text):
                    lines.append(" " + text)
                    oldCount += 1
                    newCount += 1
                case .removed(let text):
                    lines.append("-" + text)
                    oldCount += 1
                case .added(let text):
                    lines.append("+" + text)
                    newCount += 1
                }
            }
            output.append("@@ -\(oldLine),\(oldCount) +\(newLine),\(newCount) @@")
            output += lines
            start = end
            index += 1
        }
        return output.joined(separator: "\n")
    }
}
