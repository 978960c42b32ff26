import ArgumentParser
import Foundation
import JSONCore
import SalesforceDestinations

/// `sfdest state`: what a sync state file (`sfdest send --state FILE`) holds, and forgetting a target.
struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Show what a sync state holds (targets, identities, last run), or forget a target.",
        discussion:
            "The state keeps, for each target (business unit or MID, what is written, the mapping's digest), a digest of the last payload Salesforce accepted for each identity; `send --state` sends only what differs. Forgetting a target makes its next run send every record. Exit status: 0 done; 1 the state could not be read or is in use by a run."
    )

    @Option(help: "The state file (SQLite), as given to sfdest send --state.")
    var state: String

    @Option(help: "Forget this target (its key, as listed): its next run sends every record.")
    var forget: String?

    @Flag(help: "Print JSON on standard output.")
    var json = false

    func run() throws {
        guard FileManager.default.fileExists(atPath: state) else {
            FileHandle.standardError.write(Data("sfdest: no state file at \(state)\n".utf8))
            throw ExitCode(1)
        }
        do {
            let store = try SyncState.open(path: state)
            if let forget {
                let removed = try store.forget(target: forget)
                print("forgot \(forget): \(removed) identities; its next run sends every record")
                return
            }
            let targets = try store.targets()
            if json {
                let items: [JSONValue] = targets.map { target in
                    [
                        "key": .string(target.key), "description": .string(target.description),
                        "identities": .integer(target.identities),
                        "lastRunAt": target.lastRunAt.map { .string(Self.time($0)) } ?? .null,
                        "lastSent": .integer(target.lastSent), "lastUnchanged": .integer(target.lastUnchanged),
                    ]
                }
                print(JSONWriter.string(["targets": .array(items)], style: .pretty))
                return
            }
            guard !targets.isEmpty else {
                print("\(state): no targets yet")
                return
            }
            for target in targets {
                print(target.key)
                print("  \(target.description)")
                let last = target.lastRunAt.map(Self.time) ?? "never finished"
                print(
                    "  \(target.identities) identities accepted; last run \(last): \(target.lastSent) sent, \(target.lastUnchanged) unchanged"
                )
            }
        } catch {
            FileHandle.standardError.write(Data("sfdest: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    static func time(_ epochSeconds: Int) -> String {
        Date(timeIntervalSince1970: TimeInterval(epochSeconds)).formatted(.iso8601)
    }
}
