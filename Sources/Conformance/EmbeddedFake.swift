import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes

/// One way to turn a client config into a fake and a config pointed at it, for every part that needs one:
/// `sfdest send --embedded-fake`, `sfdest check-config` and `sfdest describe` (``start(for:spreadTargets:)``: a
/// fake seeded from the config, the default credentials), and the scenario runner (``point(_:at:)``: a config's
/// hosts redirected to a fake the scenario seeded itself). It lives in the harness, the one library that knows
/// both the client and the fakes; the CLI parses, calls and prints.
public enum EmbeddedFake {
    /// A config with its hosts pointed at `server` (the token host and, for Account Engagement, the API host);
    /// nothing else changes.
    public static func point(_ declared: DestinationConfig, at server: FakeServer) -> DestinationConfig {
        var config = declared
        let base = URL(string: server.baseURL)!
        switch config.target {
        case .accountEngagement(var connection, let action):
            connection.loginURL = base
            connection.apiURL = base
            config.target = .accountEngagement(connection, action)
        case .marketingCloud(var connection, let action):
            connection.authURL = base
            config.target = .marketingCloud(connection, action)
        }
        return config
    }

    /// Starts the destination's fake with the default credentials and what the config names (custom fields,
    /// attribute sets, the data extension, the event definition), and points the config at it. `spreadTargets`
    /// are the targets the config's spreads yield for the input (`sfdest send` reads them from the input): custom fields
    /// and columns only a record names.
    public static func start(for configuration: inout DestinationConfig, spreadTargets: [String] = []) throws
        -> (FakeServer, Credentials)
    {
        let targets =
            configuration.mapping.fields.map(\.target) + (configuration.mapping.segments?.fields.map(\.field) ?? [])
            + spreadTargets.filter { name in !configuration.mapping.fields.contains { $0.target == name } }
        switch configuration.target {
        case .accountEngagement(var connection, let action):
            let server = try AccountEngagementFake.start(seed: [
                "clients": DefaultTenant.pardotClients, "users": DefaultTenant.pardotUsers,
                "businessUnits": [
                    [
                        "id": .string(DefaultTenant.businessUnitID),
                        "customFields": .array(targets.filter { $0.hasSuffix("__c") }.map { ["name": .string($0)] }),
                    ]
                ],
            ])
            connection.businessUnitID = DefaultTenant.businessUnitID
            connection.grant = .password
            configuration = point(
                DestinationConfig.replacing(configuration, target: .accountEngagement(connection, action)), at: server)
            return (
                server,
                .salesforce(
                    SalesforceCredentials(
                        clientID: DefaultTenant.clientID, clientSecret: DefaultTenant.clientSecret,
                        username: DefaultTenant.username, password: DefaultTenant.password))
            )
        case .marketingCloud(var connection, let action):
            var sets: [String: [JSONValue]] = [:]
            for target in targets where target != "contactKey" {
                guard let dot = target.firstIndex(of: ".") else { continue }
                sets[String(target[..<dot]), default: []].append([
                    "name": .string(String(target[target.index(after: dot)...])), "length": 4000,
                ])
            }
            var seed: [String: JSONValue] = [
                "clients": DefaultTenant.marketingCloudClients,
                "businessUnits": DefaultTenant.marketingCloudBusinessUnits,
            ]
            if action.kind == .updateContact || action.kind == .createContact {
                // Standard sets keep their attributes; what the mapping adds is appended as Text.
                let standard = Dictionary(
                    uniqueKeysWithValues: DefaultTenant.standardAttributeSets.compactMap { set in
                        set["name"]?.stringValue.map { ($0, set["attributes"]?.arrayValue ?? []) }
                    })
                seed["attributeSets"] = .array(
                    sets.keys.sorted().map { name in
                        let known = standard[name] ?? []
                        let names = Set(known.compactMap { $0["name"]?.stringValue })
                        return [
                            "name": .string(name),
                            "attributes": .array(
                                known + sets[name]!.filter { !names.contains($0["name"]?.stringValue ?? "") }),
                        ]
                    })
            }
            if let reference = action.dataExtension {
                let columns: [JSONValue] = targets.map { target in
                    action.primaryKeys.contains(target)
                        ? ["name": .string(target), "isPrimaryKey": true, "length": 254]
                        : ["name": .string(target), "length": 4000]
                }
                var dataExtension: [String: JSONValue] = ["name": "Demo", "columns": .array(columns)]
                switch reference {
                case .key(let key): dataExtension["key"] = .string(key)
                case .id(let id):
                    dataExtension["id"] = .string(id)
                    dataExtension["key"] = "demo"
                }
                seed["dataExtensions"] = [.object(dataExtension)]
            }
            if let key = action.eventDefinitionKey { seed["eventDefinitions"] = [["key": .string(key)]] }
            let server = try MarketingCloudFake.start(seed: .object(seed))
            connection.accountID = nil
            connection.scope = nil
            configuration = point(
                DestinationConfig.replacing(configuration, target: .marketingCloud(connection, action)), at: server)
            return (
                server,
                .marketingCloud(
                    MarketingCloudCredentials(
                        clientID: DefaultTenant.clientID, clientSecret: DefaultTenant.clientSecret))
            )
        }
    }
}

extension DestinationConfig {
    /// The config with another target (connection and action).
    fileprivate static func replacing(_ config: DestinationConfig, target: Target) -> DestinationConfig {
        var changed = config
        changed.target = target
        return changed
    }
}
