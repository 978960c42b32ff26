/// A configuration problem, named by file, line and key path: `sfdest.yaml:12: connection.auth.grant: expected …`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The config file as given.
    public var file: String
    /// 1-based line of the offending key or value, when known.
    public var line: Int?
    /// Dotted key path, e.g. `mapping.email`.
    public var path: String
    /// What was expected.
    public var message: String
    /// Further problems found in the same pass (every unknown key of a mapping, the other sections' errors), so
    /// that one run of `check-config` or `send` names them all.
    public var others: [ConfigError] = []

    /// Creates an error; `path` empty when the problem is the file itself.
    package init(file: String, line: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    /// `file:line: path: message`, the form editors and CI logs link to the line; one line per problem.
    public var description: String { all.map(\.line1).joined(separator: "\n") }

    private var line1: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }

    /// Every problem, this one first, each on its own.
    public var all: [ConfigError] {
        ([self] + others.flatMap { [$0] + $0.others }).map { error in
            var single = error
            single.others = []
            return single
        }
    }

    /// Throws the first of `errors` carrying the rest; does nothing when there is none.
    static func throwAll(_ errors: [ConfigError]) throws(ConfigError) {
        guard var first = errors.first else { return }
        first.others += errors.dropFirst()
        throw first
    }
}
