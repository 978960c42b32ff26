import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes

/// What `sfdest send` builds before it sends anything: placeholder credentials, and the embedded fake.
enum SendSetup {
    /// The targets the config's spreads yield over the input's records (at most `limit` lines read), in first-seen
    /// order: what an embedded fake must know before the first record is sent (issue 28: a spread's custom fields
    /// were refused with 180 by a fake that had not been told of them).
    static func spreadTargets(_ configuration: DestinationConfig, inputPath: String, limit: Int = 100_000) -> [String] {
        let spreads = configuration.mapping.spreads
        guard !spreads.isEmpty, inputPath != "-", let data = FileManager.default.contents(atPath: inputPath) else {
            return []
        }
        var seen = Set<String>()
        var targets: [String] = []
        for line in data.split(separator: UInt8(ascii: "\n")).prefix(limit) {
            guard let record = try? JSONParser.parse(Array(line)) else { continue }
            for spread in spreads {
                for (target, _) in spread.fields(in: record) where seen.insert(target).inserted {
                    targets.append(target)
                }
            }
        }
        return targets
    }

    static func placeholderCredentials(_ config: DestinationConfig) -> Credentials {
        switch config.destination {
        case .accountEngagement:
            return .salesforce(
                SalesforceCredentials(
                    clientID: "<unset>", clientSecret: "<unset>", username: "<unset>", password: "<unset>",
                    refreshToken: "<unset>"))
        case .marketingCloud:
            return .marketingCloud(MarketingCloudCredentials(clientID: "<unset>", clientSecret: "<unset>"))
        }
    }

    /// Starts the destination's fake with the default credentials and what the config names (custom fields,
    /// attribute sets, the data extension, the event definition), and points the config at it. `spreadTargets`
    /// are the targets the config's spreads yield for the input (``spreadTargets(_:inputPath:)``): custom fields
    /// and columns only a record names.
    static func startEmbeddedFake(for configuration: inout DestinationConfig, spreadTargets: [String] = []) throws
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
            let base = URL(string: server.baseURL)!
            connection.loginURL = base
            connection.apiURL = base
            connection.businessUnitID = DefaultTenant.businessUnitID
            connection.grant = .password
            configuration.target = .accountEngagement(connection, action)
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
            connection.authURL = URL(string: server.baseURL)!
            connection.accountID = nil
            connection.scope = nil
            configuration.target = .marketingCloud(connection, action)
            return (
                server,
                .marketingCloud(
                    MarketingCloudCredentials(
                        clientID: DefaultTenant.clientID, clientSecret: DefaultTenant.clientSecret))
            )
        }
    }
}
