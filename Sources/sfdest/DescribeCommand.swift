import ArgumentParser
import Foundation
import JSONCore
import Logging
import SalesforceDestinations

/// `sfdest describe`: lists what the org offers the config's destination (custom fields, attribute sets, data
/// extension columns, event definitions), with commented mapping lines to start a config from.
struct DescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "List the org's custom fields, attribute sets, data extension columns and event definitions.",
        discussion:
            "Uses the config's connection and credentials; reads only documented metadata endpoints. Exit status: 0 read; 1 a read failed."
    )

    @OptionGroup var org: OrgOptions

    @Option(help: "Describe this data extension (external key) instead of the config's.")
    var dataExtensionKey: String?

    @Flag(help: "Print JSON on standard output.")
    var json = false

    func run() async throws {
        try await org.run { target in
            let description = await OrgDescription.read(
                config: target.config, credentials: target.credentials, transport: target.transport,
                dataExtension: dataExtensionKey.map(DataExtensionReference.key))
            let text = json ? JSONWriter.string(description.json, style: .pretty) + "\n" : description.text
            return (text, description.problems.isEmpty)
        }
    }
}
