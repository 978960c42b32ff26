import JSONCore
import Testing
import WireFormat

/// The one masker's rules, as the journal, the transcripts and the captures rely on them.
struct SecretMaskerTests {
    @Test(arguments: [
        ("Bearer tok-1", "Bearer <access-token:1>"),
        ("bearer   tok-1 ", "Bearer <access-token:1>"),
        ("Basic Zm9vOmJhcg==", "Basic <redacted>"),
        ("basic Zm9vOmJhcg==", "Basic <redacted>"),
        ("Digest username=\"a\", response=\"b\"", "<redacted>"),
        ("tok-1", "<redacted>"),
        ("Bearer", "Bearer"),
        ("Bearer   ", "Bearer   "),
        ("", ""),
    ])
    func authorization(value: String, masked: String) {
        var secrets = SecretMasker(for: .record)
        #expect(secrets.authorization(value) == masked)
    }

    @Test func aJournalNumbersOnlyTheTokensItsFakeIssued() {
        var secrets = SecretMasker(for: .journal(issuedTokens: ["tok-a": 2]))
        #expect(secrets.authorization("Bearer tok-a") == "Bearer <access-token:2>")
        #expect(secrets.authorization("Bearer forged") == "Bearer <access-token>")
    }

    @Test func aRecordNumbersTokensAsItFirstSeesThem() {
        var secrets = SecretMasker(for: .record)
        #expect(secrets.accessToken("tok-b") == "<access-token:1>")
        #expect(secrets.tokenAnswerMember("access_token", "tok-c") == "<access-token:2>")
        #expect(secrets.accessToken("tok-b") == "<access-token:1>")
    }

    @Test func recordsAlsoHideAccountNamesAndJournalsKeepThem() {
        let pairs = [("grant_type", "password"), ("client_id", "app"), ("username", "u"), ("password", "p")]
        let journal = SecretMasker(for: .journal(issuedTokens: [:])).form(pairs)
        let record = SecretMasker(for: .record).form(pairs)
        #expect(journal.map(\.1) == ["password", "app", "u", "<redacted>"])
        #expect(record.map(\.1) == ["password", "<redacted>", "<redacted>", "<redacted>"])
        let members = SecretMasker(for: .record).requestMembers(["client_id": "app", "account_id": 7])
        #expect(members == ["client_id": "<redacted>", "account_id": 7])
    }

    @Test func tokenAnswerSecretsAreLabelledInAJournalAndRedactedInARecord() {
        var journal = SecretMasker(for: .journal(issuedTokens: [:]))
        var record = SecretMasker(for: .record)
        #expect(journal.tokenAnswerMember("refresh_token", "r") == "<refresh-token>")
        #expect(record.tokenAnswerMember("refresh_token", "r") == "<redacted>")
        #expect(record.tokenAnswerMember("instance_url", "https://x") == nil)
    }
}
