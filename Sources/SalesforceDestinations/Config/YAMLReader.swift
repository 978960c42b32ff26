import TextDistance
import Yams

/// Reads one YAML mapping, remembering which keys were read so that `finish()` can name any unknown key
/// with its line. Every error carries the file, line and dotted path. Shared by the client config and the
/// conformance harness's scenario files.
package struct YAMLReader {
    package let file: String
    package let path: String
    package let node: Node
    private let pairs: [(key: String, value: Node, line: Int?)]
    private var read: Set<String> = []

    package init(file: String, path: String, node: Node) throws(ConfigError) {
        self.file = file
        self.path = path
        self.node = node
        guard let mapping = node.mapping else {
            throw ConfigError(
                file: file, line: Self.line(node), path: path, message: "expected a mapping of keys to values")
        }
        var pairs: [(String, Node, Int?)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                throw ConfigError(file: file, line: Self.line(key), path: path, message: "keys must be strings")
            }
            pairs.append((name, value, Self.line(key)))
        }
        self.pairs = pairs
    }

    package static func line(_ node: Node) -> Int? { node.mark.map { $0.line } }

    package func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    package func error(_ key: String, _ message: String) -> ConfigError {
        let line = pairs.first { $0.key == key }.map { $0.value.mark?.line ?? $0.line } ?? Self.line(node)
        return ConfigError(file: file, line: line ?? nil, path: childPath(key), message: message)
    }

    /// `key` is required and absent: when a key present looks like it misspells `key`, the error names it, at
    /// its line (`busnessUnitId` for `businessUnitId`).
    package func missing(_ key: String, _ message: String = "is required") -> ConfigError {
        guard let near = pairs.first(where: { $0.key != key && Self.nearest($0.key, among: [key]) != nil }) else {
            return error(key, message)
        }
        return ConfigError(
            file: file, line: near.line, path: childPath(key),
            message: "\(message); found \(near.key): did you mean \(key)?")
    }

    /// The keys present, in file order.
    package var keys: [String] { pairs.map(\.key) }

    package mutating func value(_ key: String) -> Node? {
        read.insert(key)
        return pairs.first { $0.key == key }?.value
    }

    package mutating func string(_ key: String) throws(ConfigError) -> String {
        guard let value = try optionalString(key) else { throw missing(key) }
        return value
    }

    package mutating func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node else { throw error(key, "expected a string") }
        return scalar.string
    }

    package mutating func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int
    {
        guard let node = value(key) else { return fallback }
        guard let number = node.int else { throw error(key, "expected a whole number") }
        guard range.contains(number) else {
            throw error(key, "expected a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    package mutating func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        guard let node = value(key) else { return fallback }
        guard let flag = node.bool else { throw error(key, "expected true or false") }
        return flag
    }

    mutating func choice<T: RawRepresentable>(_ key: String, default fallback: T?) throws(ConfigError) -> T
    where T: CaseIterable, T.RawValue == String {
        guard let text = try optionalString(key) else {
            guard let fallback else {
                throw missing(key, "is required (one of \(T.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return fallback
        }
        guard let value = T(rawValue: text) else {
            throw error(key, "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(text)\"")
        }
        return value
    }

    package mutating func mapping(_ key: String) throws(ConfigError) -> YAMLReader? {
        guard let node = value(key) else { return nil }
        return try YAMLReader(file: file, path: childPath(key), node: node)
    }

    package mutating func requiredMapping(_ key: String) throws(ConfigError) -> YAMLReader {
        guard let reader = try mapping(key) else { throw missing(key) }
        return reader
    }

    /// Fails when a key was never read, naming every such key of this mapping (the first as the error, the
    /// others beside it), each with the keys known here and the nearest one when it looks like a typo. `allowed`
    /// lists the known keys where the reader looks some up only when present.
    package func finish(allowed: [String]? = nil) throws(ConfigError) {
        let knownKeys = (allowed ?? Array(read)).sorted()
        let unknown = pairs.filter { !read.contains($0.key) }
        guard let first = unknown.first else { return }
        func problem(_ pair: (key: String, value: Node, line: Int?)) -> ConfigError {
            var message = "unknown key"
            if let near = Self.nearest(pair.key, among: knownKeys) { message += "; did you mean \(near)?" }
            message +=
                knownKeys.isEmpty
                ? " (no key is known here)" : " (known here: \(knownKeys.joined(separator: ", ")))"
            return ConfigError(file: file, line: pair.line, path: childPath(pair.key), message: message)
        }
        var error = problem(first)
        error.others = unknown.dropFirst().map(problem)
        throw error
    }

    /// The known key a misspelt one most likely meant: within two edits, or a third of its length, ignoring case.
    static func nearest(_ key: String, among known: [String]) -> String? {
        let wanted = Array(key.lowercased())
        let scored = known.map { ($0, EditDistance.between(wanted, Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, wanted.count / 3) ? best.0 : nil
    }
}
