import Foundation
import HTTPTypes
import JSONCore

/// `sfdest describe`: what the org offers a config, read from the same metadata endpoints as the preflight:
/// Account Engagement custom fields; Marketing Cloud attribute sets, the data extension's columns, and event
/// definitions. A starting point for a mapping, as a destination's setup screen is.
package struct OrgDescription: Sendable {
    /// One heading and its rows (`name`, `type`, `note`).
    package struct Section: Sendable {
        package var title: String
        package var rows: [(name: String, type: String, note: String)]
        /// The source a commented mapping line per row suggests (`traits.<source>`); nil: no mapping lines.
        package var suggestedSource: String?
    }

    package var sections: [Section] = []
    /// Reads that failed, as preflight checks (what and why).
    package var problems: [PreflightCheck] = []

    /// Reads what the config's connection can see; `dataExtension` names another data extension than the
    /// config's one.
    package static func read(
        config: DestinationConfig, credentials: Credentials, transport: any HTTPTransport,
        dataExtension: DataExtensionReference? = nil
    ) async -> OrgDescription {
        let preflight = Preflight(config: config, credentials: credentials, transport: transport)
        var description = OrgDescription()
        let grant: AccessGrant
        do {
            grant = try await preflight.tokens.grant()
        } catch {
            description.problems.append(
                PreflightCheck(target: "credentials", status: .fail, detail: error.reason, fix: error.advice))
            return description
        }
        switch config.target {
        case .accountEngagement(let connection, let action):
            let reader = AccountEngagementPreflight(
                connection: connection, action: action, mapping: config.mapping, tokens: preflight.tokens,
                reader: preflight.reader)
            switch await reader.customFields(grant) {
            case .failure(let failed): description.problems += failed.checks
            case .success(let fields):
                description.sections.append(
                    Section(
                        title: "Custom prospect fields in business unit \(connection.businessUnitID)",
                        rows: fields.map { ($0.apiName, $0.type, $0.label) }, suggestedSource: "traits.<source>"))
            }
        case .marketingCloud(_, let action):
            let instance = grant.instanceURL
            let headers: HTTPFields = [.authorization: "Bearer \(grant.token)"]
            let reader = MarketingCloudPreflight(
                action: action, mapping: config.mapping, tokens: preflight.tokens, reader: preflight.reader)
            switch await reader.attributeSets(instance, headers) {
            case .failure(let failed): description.problems += failed.checks
            case .success(let sets):
                for set in sets {
                    description.sections.append(
                        Section(
                            title: "Attribute set \(set.name)",
                            rows: set.attributes.map {
                                ("\(set.name).\($0.name)", $0.type, $0.length.map { "length \($0)" } ?? "")
                            },
                            suggestedSource: "traits.<source>"))
                }
            }
            if let reference = dataExtension ?? action.dataExtension {
                switch await reader.columns(of: reference, instance, headers) {
                case .failure(let failed): description.problems += failed.checks
                case .success(let columns):
                    description.sections.append(
                        Section(
                            title: "Data extension \(reference)",
                            rows: columns.map { column in
                                let notes = [
                                    column.isPrimaryKey ? "primary key" : nil, column.isNullable ? nil : "required",
                                    column.length.map { "length \($0)" },
                                ]
                                return (column.name, column.type, notes.compactMap { $0 }.joined(separator: ", "))
                            },
                            suggestedSource: "properties.<source>"))
                }
            }
            switch await reader.eventDefinitions(instance, headers) {
            case .failure(let failed): description.problems += failed.checks
            case .success(let definitions):
                description.sections.append(
                    Section(
                        title: "Journey event definitions", rows: definitions.map { ($0.key, "event", $0.name) },
                        suggestedSource: nil))
            }
        }
        return description
    }

    /// Plain text: each section as aligned rows, then the commented mapping lines it suggests.
    package var text: String {
        var lines: [String] = []
        for section in sections {
            lines.append("\(section.title) (\(section.rows.count))")
            let width = min(50, section.rows.map(\.name.count).max() ?? 0)
            for row in section.rows {
                let padded =
                    row.name.count >= width
                    ? row.name : row.name + String(repeating: " ", count: width - row.name.count)
                lines.append("  \(padded)  \(row.type)\(row.note.isEmpty ? "" : "  (\(row.note))")")
            }
            if let source = section.suggestedSource, !section.rows.isEmpty {
                lines.append("  mapping:")
                lines += section.rows.map { row in
                    let name = row.name.contains(" ") || row.name.contains(".") ? "\"\(row.name)\"" : row.name
                    return "    # \(name): \(source)"
                }
            }
            lines.append("")
        }
        for problem in problems {
            lines.append(
                "could not read \(problem.target): \(problem.detail)\(problem.fix.isEmpty ? "" : " (fix: \(problem.fix))")"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    package var json: JSONValue {
        [
            "sections": .array(
                sections.map { section in
                    [
                        "title": .string(section.title),
                        "rows": .array(
                            section.rows.map {
                                ["name": .string($0.name), "type": .string($0.type), "note": .string($0.note)]
                            }),
                    ]
                }),
            "problems": .array(problems.map(\.json)),
        ]
    }
}
