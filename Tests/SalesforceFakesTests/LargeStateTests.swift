import Foundation
import JSONCore
import TestSupport
import Testing

@testable import SalesforceFakes

/// The Account Engagement state written and read without a tree of its prospects
/// (`AccountEngagementTenant+LargeStates.swift`) must be the tree's, byte for byte and value for value; anything the streaming
/// reader does not take is left to the tree, which reports errors as before.
@Suite(.onBlockingThreads) struct LargeStateTests {
    /// Everything a state may hold: tokens and secrets, custom fields of each type, escapes and non-ASCII text,
    /// deleted prospects, missing and null times, an AMPSEA and a non-AMPSEA unit, quota usage.
    static let document: JSONValue = [
        "clients": [["clientId": "fake-client-id", "clientSecret": "s\"ecret", "runAsUser": "user@example.com"]],
        "users": [["username": "user@example.com", "password": "fake-password"]],
        "accessTokens": [
            [
                "token": "tok-1", "sequence": 1, "clientId": "fake-client-id", "username": "user@example.com",
                "issuedAt": "2026-01-02T03:04:05+00:00",
            ]
        ],
        "refreshTokens": [
            ["token": "fake-refresh-token", "clientId": "fake-client-id", "username": "user@example.com"]
        ],
        "businessUnits": [
            [
                "id": "0Uv000000000001AAA", "nextProspectId": 40,
                "customFields": [
                    ["name": "Tier__c"], ["name": "Score__c", "type": "number"], ["name": "Since__c", "type": "date"],
                ],
                "prospects": [
                    [
                        "id": 3, "email": "ana@example.com", "firstName": "Zoë \"Z\" \\ Ana", "Tier__c": "gold",
                        "Score__c": 2.5,
                        "Since__c": "2025-02-28", "createdAt": "2026-01-01T00:00:00+00:00",
                        "lastActivityAt": "2026-03-01T10:00:00Z",
                    ],
                    [
                        "id": 1, "email": "Ana@example.com", "isDeleted": true, "company": "Acme\nInc", "Score__c": 7,
                        "createdAt": "1969-12-31T23:59:59+00:00", "updatedAt": "2000-02-29T12:00:00+02:00",
                        "lastActivityAt": nil,
                    ],
                    ["id": 2, "email": "bo@example.com"],
                ],
            ],
            [
                "id": "0Uv000000000002AAA", "ampsea": false, "name": "Second", "utcOffsetMinutes": -300,
                "usage": ["day": "2026-01-02", "count": 12],
                "prospects": [["id": 9, "email": "cy@example.com", "city": "Lisbon", "isDeleted": nil]],
            ],
        ],
    ]

    static func tenant() throws -> AccountEngagementTenant { try AccountEngagementTenant(json: document) }

    @Test(arguments: [JSONWriter.Style.pretty, .compact], [false, true])
    func theStreamingWriterWritesWhatTheTreeWrites(style: JSONWriter.Style, masked: Bool) throws {
        let tenant = try Self.tenant()
        var streamed: [UInt8] = []
        tenant.writeState(into: &streamed, style: style, maskingSecrets: masked)
        let tree = JSONWriter.bytes(masked ? StateDocument.maskingSecrets(tenant.json) : tenant.json, style: style)
        #expect(streamed == tree, "\(String(decoding: streamed, as: UTF8.self))")
    }

    @Test(arguments: [JSONWriter.Style.pretty, .compact])
    func theStreamingReaderReadsWhatTheTreeReads(style: JSONWriter.Style) throws {
        let bytes = JSONWriter.bytes(try Self.tenant().json, style: style)
        let streamed = try #require(
            try JSONPullReader.read(bytes) { reader in AccountEngagementTenant(streaming: &reader) })
        let tree = try AccountEngagementTenant(json: try JSONParser.parse(bytes))
        #expect(streamed.json == tree.json)
        #expect(streamed.businessUnits["0Uv000000000001AAA"]?.prospects.nextID == 40)
        // The indexes work: the email index finds both case variants' exact matches.
        #expect(
            streamed.businessUnits["0Uv000000000001AAA"]?.prospects.prospects(withEmail: "Ana@example.com").map(\.id)
                == [1])
    }

    /// Documents the streaming reader leaves to the tree: unsorted units, repeated keys, anything invalid.
    @Test(arguments: [
        #"{"businessUnits":[{"prospects":[{"id":1,"email":"a@x.com","Tier__c":"gold"}],"customFields":[{"name":"Tier__c"}],"id":"0Uv000000000001AAA"}]}"#,
        #"{"businessUnits":[{"id":"0Uv000000000001AAA","prospects":[{"id":1,"email":"a@x.com","id":2}]}]}"#,
        #"{"businessUnits":[{"id":"0Uv000000000001AAA","prospects":[{"id":1,"email":"a@x.com"},{"id":1,"email":"b@x.com"}]}]}"#,
        #"{"businessUnits":[{"id":"0Uv000000000001AAA","prospects":[{"id":1,"email":"a@x.com","Nope__c":1}]}]}"#,
        #"{"businessUnits":[{"id":"0Uv000000000001AAA","prospects":[{"id":1,"email":"a@x.com","createdAt":"yesterday"}]}]}"#,
        #"{"businessUnits":[{"ampsea":false,"id":"0Uv000000000001AAA","prospects":[{"id":1,"email":"a@x.com"},{"id":2,"email":"a@x.com"}]}]}"#,
        #"{"businessUnits":[],"businessUnits":[]}"#,
        #"{"businessUnits":[{"id":"0Uv000000000001AAA","prospects":[]}]} trailing"#,
        #"{"clients":[{"clientId":"c"}]}"#,
        #"[1, 2]"#,
    ])
    func unusualDocumentsAreLeftToTheTree(text: String) throws {
        let fake = try AccountEngagementFake(clock: FakeClock())
        #expect(StateDocument.streamingReplacement(for: fake, json: Array(text.utf8)) == nil)
    }

    @Test func throughTheControlAPIErrorsAreTheTreesAndUnsortedDocumentsStillLoad() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        func put(_ text: String) throws -> RawHTTPResponse {
            try RawHTTPClient.send(
                port: fake.port, method: "PUT", path: "/__fake/state", headers: [("Content-Type", "application/json")],
                body: Array(text.utf8))
        }
        let unknown = try put(
            #"{"businessUnits":[{"id":"0Uv000000000001AAA","prospects":[{"id":1,"email":"a@x.com","Nope__c":1}]}]}"#)
        #expect(unknown.status == 400)
        #expect(unknown.json?["path"] == "businessUnits[0].prospects[0].Nope__c")
        let trailing = try put(#"{"businessUnits":[]} and more"#)
        #expect(trailing.status == 400)
        #expect(trailing.json?["error"]?.stringValue?.contains("not valid JSON") == true)
        let unsorted = try put(
            #"{"businessUnits":[{"prospects":[{"id":5,"email":"u@x.com","Tier__c":"gold"}],"customFields":[{"name":"Tier__c"}],"id":"0Uv000000000001AAA"}]}"#
        )
        #expect(unsorted.status == 200, "\(unsorted.text)")
        #expect(try fake.prospects().first?["Tier__c"] == "gold")
    }

    @Test func aStateRoundTripsThroughTheControlAPIByteForByte() throws {
        let fake = try AccountEngagementTestClient(seed: Self.document)
        defer { fake.stop() }
        let exported = try fake.control("GET", "state")
        #expect(exported.body == JSONWriter.bytes(try Self.tenant().json, style: .pretty))
        let put = try RawHTTPClient.send(
            port: fake.port, method: "PUT", path: "/__fake/state", headers: [("Content-Type", "application/json")],
            body: exported.body)
        #expect(put.status == 200, "\(put.text)")
        #expect(try fake.control("GET", "state").body == exported.body)
    }

    @Test(arguments: [
        0, -1, 59, 951_782_400, 951_868_799, 1_767_225_600, 253_402_300_799, 253_402_300_800, -62_135_596_800,
        -62_135_596_801,
    ])
    func timestampsWrittenToBytesAreFormattedTimestamps(seconds: Int) {
        var bytes: [UInt8] = []
        Timestamp.writeQuoted(seconds, into: &bytes)
        var expected: [UInt8] = []
        JSONWriter.writeString(Timestamp.format(seconds), into: &expected)
        #expect(bytes == expected, "\(String(decoding: bytes, as: UTF8.self))")
    }
}
