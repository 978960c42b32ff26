import Foundation

/// `sfdest check-config`: before any record is sent, asks the org (or a fake) whether the config can work:
/// credentials, scopes, and every field, attribute, column or event the mapping names. It reads only documented
/// metadata endpoints and writes nothing.
package struct Preflight: Sendable {
    package let config: DestinationConfig
    let tokens: any AccessTokenSource
    let reader: MetadataReader

    /// Credentials must be of the config's kind (``DeliveryRun/resolve(_:environment:)`` gives the right one).
    package init(
        config: DestinationConfig, credentials: Credentials, transport: any HTTPTransport,
        clock: any DeliveryClock = SystemDeliveryClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.config = config
        let policy = RetryPolicy(limits: config.delivery, random: random)
        reader = MetadataReader(transport: transport, clock: clock, policy: policy)
        tokens = TokenSources.make(
            for: config.target, credentials: credentials, transport: transport, clock: clock, policy: policy)
    }

    package func run() async -> PreflightReport {
        switch config.target {
        case .accountEngagement(let connection, let action):
            return PreflightReport(
                checks: await AccountEngagementPreflight(
                    connection: connection, action: action, mapping: config.mapping, tokens: tokens, reader: reader
                ).run())
        case .marketingCloud(_, let action):
            return PreflightReport(
                checks: await MarketingCloudPreflight(
                    action: action, mapping: config.mapping, tokens: tokens, reader: reader
                ).run())
        }
    }
}
