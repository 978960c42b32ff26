import Crypto
import Foundation
import Yams

/// A validated `sfdest send` configuration: where to deliver, how to authenticate, what to send.
///
/// ```yaml
/// destination: accountEngagement
/// connection:
///   environment: production          # login.salesforce.com + pi.pardot.com; sandbox: test + pi.demo
///   businessUnitId: 0Uv000000000001AAA
///   auth:
///     grant: password                # client_credentials needs loginUrl = your My Domain
///     clientId: {env: SFDEST_CLIENT_ID}
///     clientSecret: {env: SFDEST_CLIENT_SECRET}
///     username: ops@example.com
///     password: {file: /run/secrets/pardot-password}
/// action:
///   type: upsertProspect
///   secondaryDeletedSearch: true
/// mapping:
///   email: identityMap.Email[0].id
///   firstName: person.name.firstName
///   Source__c: {literal: CDP}
/// segments:
///   path: segmentMembership.ups
///   fields: {5b998cb9-9488-4ec3-8d95-fa8338ced490: Segment_1__c}
/// ```
public struct DestinationConfig: Sendable, Equatable {
    /// Which Salesforce product.
    public enum Destination: String, Sendable, CaseIterable {
        /// `destination: accountEngagement` (Pardot API v5) or `destination: marketingCloud` (Marketing Cloud REST).
        case accountEngagement, marketingCloud
    }

    /// Where records go and what is done with them.
    package enum Target: Sendable, Equatable {
        case accountEngagement(AccountEngagementConnection, AccountEngagementAction)
        case marketingCloud(MarketingCloudConnection, MarketingCloudAction)
    }

    package var target: Target
    package var mapping: RecordMapping
    /// Concurrency and retry bounds (`delivery:`), with the destination's defaults filled in.
    public var delivery: DeliveryLimits
    /// A digest of the config's `mapping`, `segments`, `spread` and `values` as written: what decides the payload
    /// of each record. Part of the sync state's target key (``syncTarget``), so a mapping change sends everything.
    package var mappingDigest = ""

    /// Which product the config delivers to (`destination:`).
    public var destination: Destination {
        switch target {
        case .accountEngagement: return .accountEngagement
        case .marketingCloud: return .marketingCloud
        }
    }

    /// Reads and validates a config file; errors name the line and key.
    public static func load(path: String) throws(ConfigError) -> DestinationConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: nil, path: "", message: "cannot read the config file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Validates config text; `file` names it in errors.
    public static func parse(_ text: String, file: String = "config") throws(ConfigError) -> DestinationConfig {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(
                file: file, line: Self.line(of: error), path: "", message: "not valid YAML: \(Self.summary(of: error))")
        } catch {
            throw ConfigError(file: file, line: nil, path: "", message: "not valid YAML: \(error)")
        }
        guard let node else { throw ConfigError(file: file, line: nil, path: "", message: "the config is empty") }
        var root = try YAMLReader(file: file, path: "", node: node)
        let destination: Destination = try root.choice("destination", default: nil)
        // Each section is read even when another failed, so that one run names every problem (issue 28); a
        // section that needs another (the mapping needs the action's required fields) reads with what there is.
        var errors: [ConfigError] = []
        func section<T>(_ read: () throws(ConfigError) -> T) -> T? {
            do throws(ConfigError) {
                return try read()
            } catch {
                errors.append(error)
                return nil
            }
        }
        /// A section read from its mapping, when the mapping is there; its errors are collected.
        func read<T>(_ reader: YAMLReader?, _ make: (inout YAMLReader) throws(ConfigError) -> T) -> T? {
            guard var reader else { return nil }
            return section { () throws(ConfigError) in try make(&reader) }
        }
        let connectionReader = section { () throws(ConfigError) in try root.requiredMapping("connection") }
        let actionReader = section { () throws(ConfigError) in try root.requiredMapping("action") }
        var mappingReader = section { () throws(ConfigError) in try root.requiredMapping("mapping") }
        var segmentsReader = section { () throws(ConfigError) in try root.mapping("segments") } ?? nil
        let spreadNode = root.value("spread")
        var valuesReader = section { () throws(ConfigError) in try root.mapping("values") } ?? nil
        var deliveryReader = section { () throws(ConfigError) in try root.mapping("delivery") } ?? nil
        var target: Target?
        var required: [String] = []
        let maxConcurrency: Int
        switch destination {
        case .accountEngagement:
            let connection = read(connectionReader) { reader throws(ConfigError) in
                try AccountEngagementConnection(reader: &reader)
            }
            let action = read(actionReader) { reader throws(ConfigError) in try AccountEngagementAction(reader: &reader)
            }
            if let connection, let action { target = .accountEngagement(connection, action) }
            required = ["email"]
            maxConcurrency = AccountEngagementConnection.maxConcurrency
        case .marketingCloud:
            let action = read(actionReader) { reader throws(ConfigError) in try MarketingCloudAction(reader: &reader) }
            let connection = read(connectionReader) { reader throws(ConfigError) in
                try MarketingCloudConnection(reader: &reader)
            }
            if let connection, let action { target = .marketingCloud(connection, action) }
            required = action?.requiredFields ?? []
            maxConcurrency = MarketingCloudConnection.maxConcurrency
        }
        var mapping: RecordMapping?
        if var fields = mappingReader {
            mapping = section { () throws(ConfigError) in
                try RecordMapping(fields: &fields, segments: &segmentsReader, required: required)
            }
            mappingReader = fields
        }
        let spreads = section { () throws(ConfigError) in try RecordMapping.spreads(spreadNode, reader: root) }
        let policy = section { () throws(ConfigError) in
            try RecordMapping.policy(&valuesReader, destination: destination)
        }
        if var built = mapping {
            built.spreads = spreads ?? []
            if let policy { built.policy = policy }
            if case .marketingCloud(_, let action)? = target {
                built.route = action.route
                if let mappingReader {
                    _ = section { () throws(ConfigError) in try action.validate(built, reader: mappingReader) }
                }
            }
            if case .accountEngagement(_, let action)? = target,
                action.kind == .importProspects || action.importAbove != nil,
                action.imports.createOnNoMatch, action.imports.campaignID == nil,
                !built.fields.contains(where: { $0.target == "campaignId" })
            {
                errors.append(
                    ConfigError(
                        file: file, line: nil, path: "action.import.campaignId",
                        message:
                            "is required: an import that may create prospects needs a campaignId column (import-v5); set it, map campaignId, or set createOnNoMatch: false"
                    ))
            }
            mapping = built
        }
        let delivery = section { () throws(ConfigError) in
            try DeliveryLimits(reader: &deliveryReader, maxConcurrency: maxConcurrency)
        }
        _ = section { () throws(ConfigError) in try root.finish() }
        try ConfigError.throwAll(errors)
        guard let target, let mapping, let delivery else {
            throw ConfigError(file: file, line: nil, path: "", message: "the config is incomplete")
        }
        var config = DestinationConfig(target: target, mapping: mapping, delivery: delivery)
        var mappingText = ""
        for key in ["mapping", "segments", "spread", "values"] {
            guard let node = root.value(key) else { continue }
            mappingText += key + "\u{1E}" + ((try? Yams.serialize(node: node)) ?? "") + "\u{1E}"
        }
        config.mappingDigest = SHA256.hash(data: Array(mappingText.utf8)).prefix(8)
            .map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        return config
    }

    /// Where the sync state (`send --state`) keeps this config's accepted payloads: the org's business unit or
    /// MID, what is written (prospects, contacts, a data extension's rows), and the mapping's digest. Nil for
    /// events, which are never deduplicated (each is a new fact). Import and record mode share a target: both
    /// write the same prospects.
    package var syncTarget: (key: String, description: String)? {
        switch target {
        case .accountEngagement(let connection, _):
            return (
                "accountEngagement/\(connection.businessUnitID)/prospects/\(mappingDigest)",
                "Account Engagement business unit \(connection.businessUnitID), prospects (mapping \(mappingDigest))"
            )
        case .marketingCloud(let connection, let action):
            let account = connection.accountID ?? connection.authURL.host ?? "default"
            let written: String
            switch action {
            case .apiEvent: return nil
            case .updateContact, .createContact: written = "contacts"
            case .upsertRows(let rows), .asyncUpsertRows(let rows):
                if case .fixed(let reference) = rows.target {
                    written = "rows of \(reference)"
                } else {
                    written = "rows of each record's data extension"
                }
            }
            return (
                "marketingCloud/\(account)/\(written)/\(mappingDigest)",
                "Marketing Cloud \(account), \(written) (mapping \(mappingDigest))"
            )
        }
    }

    /// The config for an input of `records` records: with `action.importAbove` below that count, import mode
    /// instead of record mode (the same input always chooses the same, so a resumed run keeps its mode).
    public func choosingMode(forRecords records: Int) -> (config: DestinationConfig, switched: Bool) {
        guard case .accountEngagement(let connection, var action) = target, action.kind == .upsertProspect,
            let threshold = action.importAbove, records > threshold
        else { return (self, false) }
        action.kind = .importProspects
        var chosen = self
        chosen.target = .accountEngagement(connection, action)
        return (chosen, true)
    }

    /// The line and the problem of a YAML syntax error (for any file this package reads).
    package static func describe(_ error: YamlError) -> (line: Int?, message: String) {
        (line(of: error), summary(of: error))
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default: return "\(error)"
        }
    }
}
