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
        var connectionReader = try root.requiredMapping("connection")
        var actionReader = try root.requiredMapping("action")
        var mappingReader = try root.requiredMapping("mapping")
        var segmentsReader = try root.mapping("segments")
        let spreadNode = root.value("spread")
        var valuesReader = try root.mapping("values")
        var deliveryReader = try root.mapping("delivery")
        let target: Target
        let required: [String]
        let maxConcurrency: Int
        switch destination {
        case .accountEngagement:
            target = .accountEngagement(
                try AccountEngagementConnection(reader: &connectionReader),
                try AccountEngagementAction(reader: &actionReader))
            required = ["email"]
            maxConcurrency = AccountEngagementConnection.maxConcurrency
        case .marketingCloud:
            let action = try MarketingCloudAction(reader: &actionReader)
            target = .marketingCloud(try MarketingCloudConnection(reader: &connectionReader), action)
            required = action.requiredFields
            maxConcurrency = MarketingCloudConnection.maxConcurrency
        }
        var mapping = try RecordMapping(fields: &mappingReader, segments: &segmentsReader, required: required)
        mapping.spreads = try RecordMapping.spreads(spreadNode, reader: root)
        mapping.policy = try RecordMapping.policy(&valuesReader, destination: destination)
        if case .marketingCloud(_, let action) = target { mapping.route = action.route }
        if case .marketingCloud(_, let action) = target {
            try action.validate(mapping, reader: mappingReader)
        }
        let delivery = try DeliveryLimits(reader: &deliveryReader, maxConcurrency: maxConcurrency)
        try root.finish()
        return DestinationConfig(target: target, mapping: mapping, delivery: delivery)
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
