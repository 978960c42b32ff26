import FakeHTTP
import Foundation
import JSONCore

/// The two-fake state file (issue 27 moved it here from the CLI, so Swift users read and write the same documented
/// format `sfdest fake --seed` and `--state-file` do): `{"pardot": <state>, "marketingCloud": <state>}`, each state
/// in the format of `GET /__fake/state`, in JSON or (by extension) YAML; `"mode": "merge"` lays the states over the
/// default tenants instead of replacing them.
public enum FakeStateFile {
    /// What the file may name besides the two states.
    static let allowedKeys = ["pardot", "marketingCloud", "mode"]

    /// A state file that cannot be read, parsed or applied; the text names the file and the place in it.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The file's members (`pardot`, `marketingCloud`, `mode`), each as written; refuses any other key.
    public static func read(_ path: String) throws(Error) -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Error("cannot read \(path)") }
        let document: JSONValue
        do {
            document = try StateDocument.parse(Array(data), yaml: StateDocument.isYAMLFile(path))
        } catch {
            throw Error("\(path): \(error)")
        }
        guard case .object(let members) = document else { throw Error("\(path): expected an object") }
        if let unknown = members.keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            throw Error("\(path): unknown key \(unknown) (allowed: pardot, marketingCloud, mode)")
        }
        return members
    }

    /// The seeds a seed file gives each fake, keyed `pardot` and `marketingCloud` (a fake it does not name starts
    /// with its default tenant); under `"mode": "merge"` each is already laid over that fake's default tenant.
    public static func seeds(_ path: String) throws(Error) -> [String: JSONValue] {
        let members = try read(path)
        var mode = StateDocument.Mode.replace
        if let value = members["mode"] {
            guard let text = value.stringValue, let named = StateDocument.Mode(rawValue: text) else {
                throw Error("\(path): mode: expected \"replace\" or \"merge\"")
            }
            mode = named
        }
        var states = members.filter { $0.key != "mode" }
        guard mode == .merge else { return states }
        do {
            let clock = FakeClock()
            if let overlay = states["pardot"] {
                states["pardot"] = StateDocument.merge(try AccountEngagementFake(clock: clock).exportState(), overlay)
            }
            if let overlay = states["marketingCloud"] {
                states["marketingCloud"] = StateDocument.merge(
                    try MarketingCloudFake(clock: clock).exportState(), overlay)
            }
        } catch {
            throw Error("\(path): \(error)")
        }
        return states
    }

    /// Writes `bytes` to a temporary file beside `path`, then renames it into place, so a reader never sees half.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, permissions: Int) throws(Error) {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: permissions])
        else {
            throw Error("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw Error("cannot move \(temporary) to \(path): \(reason)")
        }
    }
}

/// The two running fakes as one state file holds them: saved on demand (from a server thread, for
/// `POST /__fake/state/save`) and at a clean stop, loaded at start. Made before the fakes start, so their save
/// hook can name it, and handed the fakes once they listen.
public final class FakePair: @unchecked Sendable {
    // Set once before any request can ask to save; the lock covers that hand-over and serialises saves and loads.
    private let lock = NSLock()
    private var pardot: FakeServer?
    private var marketingCloud: FakeServer?

    public init() {}

    /// Hands over the two fakes whose states this saves and loads.
    public func set(pardot: FakeServer, marketingCloud: FakeServer) {
        lock.withLock {
            self.pardot = pardot
            self.marketingCloud = marketingCloud
        }
    }

    /// Saves both states as one document (the seed format), atomically, readable by the owner only (a state holds
    /// the tenants' secrets); returns the path. Each fake writes its own state, a large one without building its
    /// tree.
    @discardableResult
    public func save(to path: String) throws(FakeStateFile.Error) -> String {
        lock.lock()
        defer { lock.unlock() }
        var bytes: [UInt8] = []
        var document = JSONContainerWriter.object(into: &bytes, style: .compact, indent: 0)
        // In sorted key order, as JSONWriter writes an object.
        for (key, server) in [("marketingCloud", marketingCloud), ("pardot", pardot)] {
            guard let server else { continue }
            document.key(key, into: &bytes)
            server.service.writeState(into: &bytes, style: .compact, maskingSecrets: false)
        }
        document.close(into: &bytes)
        try FakeStateFile.writeAtomically(bytes, to: path, permissions: 0o600)
        return path
    }

    /// Replaces both states with a saved document's.
    public func load(from path: String) throws(FakeStateFile.Error) {
        if !StateDocument.isYAMLFile(path), let data = FileManager.default.contents(atPath: path),
            let replacements = streamingReplacements(Array(data))
        {
            lock.lock()
            defer { lock.unlock() }
            for (key, replacement) in replacements {
                switch replacement {
                case .ready(let replace):
                    replace()
                case .tree(let state):
                    do {
                        try (key == "pardot" ? pardot : marketingCloud)?.service.replaceState(with: state)
                    } catch {
                        throw FakeStateFile.Error("\(path): \(key).\(error)")
                    }
                }
            }
            return
        }
        let members = try FakeStateFile.read(path)
        lock.lock()
        defer { lock.unlock() }
        for (key, server) in [("pardot", pardot), ("marketingCloud", marketingCloud)] {
            guard let state = members[key] else { continue }
            do {
                try server?.service.replaceState(with: state)
            } catch {
                throw FakeStateFile.Error("\(path): \(key).\(error)")
            }
        }
    }
}

extension FakePair {
    /// A fake's state read from a state file: read already (the fake read it without its tree), or as a tree.
    private enum Replacement {
        case ready(() -> Void)
        case tree(JSONValue)
    }

    /// Each fake's state read from a JSON state file, a large one without its tree, in the order they are to be put
    /// in place (Account Engagement first, as ``load(from:)`` always did); nil for anything unusual (a syntax error,
    /// an unknown or repeated key), which the tree reading then reports.
    private func streamingReplacements(_ bytes: [UInt8]) -> [(String, Replacement)]? {
        let (pardot, marketingCloud) = lock.withLock { (self.pardot, self.marketingCloud) }
        let read = try? JSONPullReader.read(bytes, maximumDepth: StateDocument.maximumDepth) {
            reader throws(JSONParseError) -> [String: Replacement]? in
            var states: [String: Replacement] = [:]
            try reader.beginObject()
            var seen: Set<String> = []
            while let key = try reader.nextKey() {
                guard seen.insert(key).inserted, FakeStateFile.allowedKeys.contains(key) else { return nil }
                guard key != "mode", let server = key == "pardot" ? pardot : marketingCloud else {
                    _ = try reader.value()
                    continue
                }
                let start = reader.mark()
                if let replace = server.service.stateReplacement(reading: &reader) {
                    states[key] = .ready(replace)
                } else {
                    reader.reset(to: start)
                    states[key] = .tree(try reader.value())
                }
            }
            try reader.finish()
            return states
        }
        guard let states = read ?? nil else { return nil }
        return ["pardot", "marketingCloud"].compactMap { key in states[key].map { (key, $0) } }
    }
}
