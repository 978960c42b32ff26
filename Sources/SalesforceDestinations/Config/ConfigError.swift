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

    /// Creates an error; `path` empty when the problem is the file itself.
    package init(file: String, line: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    /// `file:line: path: message`, the form editors and CI logs link to the line.
    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}
