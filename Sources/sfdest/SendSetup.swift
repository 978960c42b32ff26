import Foundation
import JSONCore
import SalesforceDestinations
import SalesforceFakes

/// What `sfdest send` builds before it sends anything: placeholder credentials, and what an embedded fake must
/// know of the input (``EmbeddedFake`` starts it).
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
}
