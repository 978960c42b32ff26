import Foundation

/// Where a secret lives: an environment variable or a file, never the config text or argv.
package enum SecretReference: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case file(String)

    /// Reads the secret. A file's trailing newline is dropped (what `echo secret > file` leaves).
    package func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        switch self {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw SecretError(message: "environment variable \(name) is not set")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SecretError(message: "cannot read secret file \(path)")
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else { throw SecretError(message: "secret file \(path) is empty") }
            return text
        }
    }

    /// Names where the secret is, never its value.
    package var description: String {
        switch self {
        case .environment(let name): return "env \(name)"
        case .file(let path): return "file \(path)"
        }
    }
}

/// A secret that could not be read; the message names the variable or file, not the value.
public struct SecretError: Error, Sendable, CustomStringConvertible {
    /// Which variable or file could not be read, and why. Never the secret's value.
    public var message: String
    /// The message.
    public var description: String { message }
}

extension YAMLReader {
    /// `{env: NAME}` or `{file: PATH}`. A plain string is refused: secrets in config text end up in repositories.
    mutating func secret(_ key: String) throws(ConfigError) -> SecretReference? {
        guard let node = value(key) else { return nil }
        guard node.mapping != nil else {
            throw error(key, "secrets cannot be written in the config: use {env: VARIABLE} or {file: PATH}")
        }
        var reader = try YAMLReader(file: file, path: childPath(key), node: node)
        let environment = try reader.optionalString("env")
        let path = try reader.optionalString("file")
        try reader.finish()
        switch (environment, path) {
        case (let name?, nil): return .environment(name)
        case (nil, let path?): return .file(path)
        default: throw error(key, "give exactly one of env or file")
        }
    }

    /// A value that may be written in the config or referenced like a secret (client ids, usernames).
    mutating func credentialValue(_ key: String) throws(ConfigError) -> CredentialValue? {
        guard let node = value(key) else { return nil }
        if case .scalar(let scalar) = node { return .literal(scalar.string) }
        return try secret(key).map(CredentialValue.reference)
    }
}

/// A non-secret credential part (client id, username): written in the config, or kept elsewhere like a secret.
package enum CredentialValue: Sendable, Equatable {
    case literal(String)
    case reference(SecretReference)

    /// The value.
    package func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        switch self {
        case .literal(let text): return text
        case .reference(let reference): return try reference.resolve(environment: environment)
        }
    }
}
