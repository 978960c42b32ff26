import FakeHTTP
import JSONCore
import Yams

/// The state format as it arrives (a seed file, `PUT /__fake/state`, a state file) and the ways it is applied.
///
/// One home for: reading JSON or YAML, the nesting allowed in a state, merging into a tenant, and hiding secrets
/// when the control API is reachable beyond loopback.
public enum StateDocument {
    /// How a document is applied to a fake.
    public enum Mode: String, Sendable, CaseIterable {
        /// The document is the whole state: what it does not name does not exist (an empty tenant's values).
        case replace
        /// The document is laid over the fake's current state (at start: the default tenant). Objects merge member
        /// by member; lists of identified things (clients, users, business units, custom fields, prospects, data
        /// extensions, attribute sets, contacts, …) merge element by element on their identity (`id`, `clientId`,
        /// `username`, `key`, `name`, `mid`, `contactKey`, `token`, `requestId`, `eventInstanceId`), an element
        /// with a new identity is appended; any other value, lists of plain values included, is replaced.
        case merge
    }

    /// Nesting a state may have: what a request body may have (``JSONParser/maximumDepth``) plus the levels the
    /// state format puts around a stored body (`events[i].data`, `asyncRequests[i].items[j]`), so that every state
    /// a fake can reach loads back.
    package static let maximumDepth = JSONParser.maximumDepth + 8

    /// Why a document could not be read.
    package struct ReadError: Error, CustomStringConvertible {
        package let description: String
    }

    /// Media types read as YAML; anything else is JSON.
    static let yamlMediaTypes: Set<String> = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]

    /// Parses a document: YAML when `yaml` is true (a `.yaml`/`.yml` file, a YAML media type), JSON otherwise.
    package static func parse(_ bytes: [UInt8], yaml: Bool) throws(ReadError) -> JSONValue {
        if yaml {
            do {
                guard let node = try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self)) else {
                    throw ReadError(description: "the YAML document is empty")
                }
                return JSONValue(yaml: node)
            } catch let error as ReadError {
                throw error
            } catch {
                throw ReadError(description: "not valid YAML: \(error)")
            }
        }
        do {
            return try JSONParser.parse(bytes, maximumDepth: maximumDepth)
        } catch {
            throw ReadError(description: "not valid JSON: \(error)")
        }
    }

    /// Whether a path names a YAML file.
    package static func isYAMLFile(_ path: String) -> Bool {
        path.hasSuffix(".yaml") || path.hasSuffix(".yml")
    }

    /// Whether a `Content-Type` value is a YAML media type.
    static func isYAMLMediaType(_ contentType: String?) -> Bool {
        contentType.map { yamlMediaTypes.contains(HTTPRequest.mediaType(of: $0)) } ?? false
    }

    // MARK: Large states

    /// Reads a whole JSON state document (a `PUT /__fake/state` body) the way the service reads large ones, without
    /// its tree, and returns what puts it in place; nil when the service cannot (then parse it and call
    /// ``EmulatedService/replaceState(with:)``, which reports any error).
    static func streamingReplacement(for service: any EmulatedService, json bytes: [UInt8]) -> (() -> Void)? {
        let replacement = try? JSONPullReader.read(bytes, maximumDepth: maximumDepth) {
            reader throws(JSONParseError) -> (() -> Void)? in
            guard let replacement = service.stateReplacement(reading: &reader) else { return nil }
            // Text after the document makes it invalid: the tree reader reports it.
            try reader.finish()
            return replacement
        }
        return replacement ?? nil
    }

    // MARK: Merge

    /// Members that identify an element of a list, tried in this order.
    static let identityKeys = [
        "id", "clientId", "username", "contactKey", "key", "mid", "requestId", "eventInstanceId", "token", "name",
    ]

    /// `overlay` laid over `base` (see ``Mode/merge``).
    package static func merge(_ base: JSONValue, _ overlay: JSONValue) -> JSONValue {
        switch (base, overlay) {
        case (.object(var merged), .object(let changes)):
            for (key, value) in changes { merged[key] = merged[key].map { merge($0, value) } ?? value }
            return .object(merged)
        case (.array(var merged), .array(let changes)):
            guard let identity = identityKey(of: merged + changes) else { return overlay }
            for change in changes {
                if let index = merged.firstIndex(where: { $0[identity] == change[identity] }) {
                    merged[index] = merge(merged[index], change)
                } else {
                    merged.append(change)
                }
            }
            return .array(merged)
        default:
            return overlay
        }
    }

    /// The first identity key every element of a list of objects has; nil for any other list.
    private static func identityKey(of elements: [JSONValue]) -> String? {
        guard !elements.isEmpty, elements.allSatisfy({ if case .object = $0 { return true } else { return false } })
        else { return nil }
        return identityKeys.first { key in elements.allSatisfy { $0[key] != nil } }
    }

    // MARK: Secrets

    /// Members holding a credential in either fake's state: client secrets, user passwords, issued tokens.
    static let secretMembers: Set<String> = ["clientSecret", "password", "token"]

    /// The state with every credential replaced by `<redacted>`: what `GET /__fake/state` hands out beyond loopback
    /// unless the caller asks for secrets. Credentials sit in the elements of top-level lists (`clients[i]`,
    /// `users[i]`, `accessTokens[i]`, `refreshTokens[i]`, `tokens[i]`), and only there is anything replaced, so
    /// prospect or contact data is never touched.
    package static func maskingSecrets(_ state: JSONValue) -> JSONValue {
        guard case .object(var members) = state else { return state }
        for (key, value) in members {
            guard case .array(let elements) = value else { continue }
            members[key] = .array(
                elements.map { element in
                    guard case .object(var fields) = element else { return element }
                    for name in secretMembers where fields[name]?.stringValue != nil { fields[name] = "<redacted>" }
                    return .object(fields)
                })
        }
        return .object(members)
    }
}

extension JSONValue {
    /// A YAML node as JSON: mappings become objects, sequences arrays; plain scalars are typed as YAML's core
    /// schema reads them (`5`, `true`, `null`), quoted ones stay strings.
    package init(yaml node: Node) {
        switch node {
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = JSONValue(yaml: value) }
            self = .object(object)
        case .sequence(let sequence):
            self = .array(sequence.map(JSONValue.init(yaml:)))
        case .scalar(let scalar):
            guard scalar.style == .plain else {
                self = .string(scalar.string)
                return
            }
            if node.null != nil {
                self = .null
            } else if let number = node.int {
                self = .integer(number)
            } else if let flag = node.bool {
                self = .bool(flag)
            } else if let number = node.float {
                self = .double(number)
            } else {
                self = .string(scalar.string)
            }
        case .alias:
            self = .null
        }
    }
}
