import ArgumentParser
import Conformance
import Foundation
import JSONCore

/// `sfdest compare`: replays a capture of real exchanges against a fresh fake and reports where the fake differs.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Replay a capture (sfdest send --capture) against a fresh fake and report every difference.",
        discussion: """
            Each request of the capture is sent to a fresh fake of the same API, seeded with --seed to match the \
            org's starting point. Status, error code, content type and body structure (members and their types; \
            not volatile values) are compared. Exit status: 0 when the fake answered like the capture, 1 when it \
            differed, 2 when the capture or seed cannot be read.
            """)

    @Argument(help: "The capture file.")
    var capture: String

    @Option(
        help:
            "The fake's start state: a seed file as for `sfdest fake` ({\"pardot\": …, \"marketingCloud\": …}) or one state document."
    )
    var seed: String?

    @Option(help: "Also write the differences as JSON here.")
    var json: String?

    func run() async throws {
        let document: JSONValue
        let comparison: CaptureComparison
        var seedState: JSONValue?
        do {
            document = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: capture))))
            comparison = try CaptureComparison(capture: document)
            if let seed {
                let value = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: seed))))
                let key = document["api"]?.stringValue == "accountEngagement" ? "pardot" : "marketingCloud"
                seedState = value[key] ?? value
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let differences: [ParityDifference]
        do {
            differences = try comparison.run(seed: seedState)
        } catch {
            FileHandle.standardError.write(Data("error: the fake could not start from the seed: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let count = document["exchanges"]?.arrayValue?.count ?? 0
        for difference in differences { print(difference.line) }
        print("\(count) exchanges replayed, \(differences.count) differences")
        if let json {
            let report: JSONValue = ["exchanges": .integer(count), "differences": .array(differences.map(\.json))]
            do {
                try Data(JSONWriter.bytes(report, style: .pretty) + [0x0A]).write(to: URL(fileURLWithPath: json))
            } catch {
                FileHandle.standardError.write(Data("error: cannot write \(json): \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        if !differences.isEmpty { throw ExitCode(1) }
    }
}
