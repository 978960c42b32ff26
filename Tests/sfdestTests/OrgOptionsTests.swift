import Testing

@testable import sfdest

/// `send`, `check-config` and `describe` take the org's options from one group (issue 27): the same flags, the same
/// defaults (before, `send` declared its own copies, and its log level defaulted to info where the others said
/// notice).
struct OrgOptionsTests {
    static let shared = [
        "--config", "c.yaml", "--embedded-fake", "--ca-file", "ca.pem", "--log-level", "debug", "--log-format", "json",
    ]

    static func orgs(_ extra: [String]) throws -> [OrgOptions] {
        let send = try #require(
            try Sfdest.parseAsRoot(["send", "--input", "in.ndjson"] + extra) as? SendCommand)
        let check = try #require(try Sfdest.parseAsRoot(["check-config"] + extra) as? CheckConfigCommand)
        let describe = try #require(try Sfdest.parseAsRoot(["describe"] + extra) as? DescribeCommand)
        return [send.org, check.org, describe.org]
    }

    @Test func theThreeCommandsShareTheirDefaults() throws {
        for org in try Self.orgs(["--config", "c.yaml"]) {
            #expect(org.logLevel == .info)
            #expect(org.logFormat == .text)
            #expect(!org.embeddedFake)
            #expect(org.caFile == nil)
        }
    }

    @Test func theSameFlagsReadTheSameOnEach() throws {
        for org in try Self.orgs(Self.shared) {
            #expect(org.config == "c.yaml")
            #expect(org.embeddedFake)
            #expect(org.caFile == "ca.pem")
            #expect(org.logLevel == .debug)
            #expect(org.logFormat == .json)
        }
    }
}
