import JSONCore
import Testing
import WireFormat

@testable import SalesforceFakes

/// The upsert matching rules on the pure model, table by table.
@Suite struct ProspectStoreTests {
    /// A prospect row: id, email, deleted, lastActivityAt, updatedAt.
    typealias Row = (id: Int, email: String, deleted: Bool, activity: Int?, updated: Int)

    static func store(_ rows: [Row]) -> ProspectStore {
        var store = ProspectStore()
        for row in rows {
            store.insert(
                Prospect(
                    id: row.id, email: row.email, isDeleted: row.deleted, createdAt: 0, updatedAt: row.updated,
                    lastActivityAt: row.activity, values: [:]))
        }
        return store
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var rows: [Row]
        var matchEmail: String
        var secondaryDeletedSearch = false
        var ampsea = true
        var policy = DeletedMatchPolicy.undelete
        var order = UpsertMatchOrder.lastActivityAt
        /// The id written to, or nil for "create".
        var expected: Int?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no match creates", rows: [(1, "a@x.com", false, nil, 1)], matchEmail: "b@x.com", expected: nil),
        Case(name: "one match updates", rows: [(1, "a@x.com", false, nil, 1)], matchEmail: "a@x.com", expected: 1),
        Case(
            name: "case differs: no match", rows: [(1, "Ana@x.com", false, nil, 1)], matchEmail: "ana@x.com",
            expected: nil),
        Case(
            name: "case differs: exact one wins",
            rows: [(1, "Ana@x.com", false, 50, 1), (2, "ana@x.com", false, 10, 1)],
            matchEmail: "ana@x.com", expected: 2),
        Case(
            name: "latest activity wins",
            rows: [(1, "a@x.com", false, 100, 5), (2, "a@x.com", false, 200, 1), (3, "a@x.com", false, 150, 9)],
            matchEmail: "a@x.com", expected: 2),
        Case(
            name: "updatedAt reading: most recently updated wins",
            rows: [(1, "a@x.com", false, 100, 5), (2, "a@x.com", false, 200, 1), (3, "a@x.com", false, 150, 9)],
            matchEmail: "a@x.com", order: .updatedAt, expected: 3),
        Case(
            name: "no activity is oldest", rows: [(1, "a@x.com", false, nil, 9), (2, "a@x.com", false, 1, 1)],
            matchEmail: "a@x.com", expected: 2),
        Case(
            name: "activity tie: later update wins", rows: [(1, "a@x.com", false, 5, 8), (2, "a@x.com", false, 5, 3)],
            matchEmail: "a@x.com", expected: 1),
        Case(
            name: "full tie: higher id wins", rows: [(1, "a@x.com", false, 5, 3), (2, "a@x.com", false, 5, 3)],
            matchEmail: "a@x.com", expected: 2),
        Case(
            name: "live match beats a later deleted one",
            rows: [(1, "a@x.com", false, 1, 1), (2, "a@x.com", true, 99, 9)],
            matchEmail: "a@x.com", secondaryDeletedSearch: true, expected: 1),
        Case(
            name: "all deleted + secondaryDeletedSearch: latest deleted is undeleted",
            rows: [(1, "a@x.com", true, 10, 1), (2, "a@x.com", true, 20, 1)], matchEmail: "a@x.com",
            secondaryDeletedSearch: true, expected: 2),
        Case(
            name: "all deleted, no secondaryDeletedSearch: create", rows: [(1, "a@x.com", true, 10, 1)],
            matchEmail: "a@x.com", secondaryDeletedSearch: false, expected: nil),
        Case(
            name: "non-AMPSEA ignores the flag and undeletes by default", rows: [(1, "a@x.com", true, 10, 1)],
            matchEmail: "a@x.com", secondaryDeletedSearch: false, ampsea: false, expected: 1),
        Case(
            name: "one live match", rows: [(1, "a@x.com", false, nil, 1)], matchEmail: "a@x.com", expected: 1),
        Case(
            name: "one deleted match + secondaryDeletedSearch: undeleted", rows: [(1, "a@x.com", true, 10, 1)],
            matchEmail: "a@x.com", secondaryDeletedSearch: true, expected: 1),
        Case(
            name: "non-AMPSEA with the create policy", rows: [(1, "a@x.com", true, 10, 1)],
            matchEmail: "a@x.com", secondaryDeletedSearch: true, ampsea: false, policy: .create, expected: nil),
    ]

    @Test(arguments: cases)
    func upsertTarget(_ testCase: Case) {
        let store = Self.store(testCase.rows)
        let target = store.upsertTarget(
            matchEmail: testCase.matchEmail, secondaryDeletedSearch: testCase.secondaryDeletedSearch,
            ampsea: testCase.ampsea, deletedPolicy: testCase.policy, order: testCase.order)
        #expect(target?.id == testCase.expected)
    }

    @Test func emailIndexFollowsEmailChanges() {
        var store = Self.store([(1, "a@x.com", false, nil, 1), (2, "a@x.com", false, nil, 1)])
        var first = store[1]!
        first.email = "b@x.com"
        store.replace(first)
        #expect(store.prospects(withEmail: "a@x.com").map(\.id) == [2])
        #expect(store.prospects(withEmail: "b@x.com").map(\.id) == [1])
        let created = store.create(email: "a@x.com", values: [:], now: 5)
        #expect(created.id == 3)
        #expect(store.prospects(withEmail: "a@x.com").map(\.id).sorted() == [2, 3])
    }

    @Test(arguments: [
        ("jdoe@example.com", true), ("a@b.co", true), ("Ana.Maria+tag@sub.example.museum", true),
        ("no-at-sign.example.com", false), ("two@@example.com", false), ("sp ace@example.com", false),
        ("a@b.c", false), ("a@example.abcdefghijklmn", false), ("@example.com", false), ("a@.com", false),
        (String(repeating: "x", count: 65) + "@example.com", false),
        // Counted in characters, not bytes: the ASCII fast path and the scalar path must agree at each bound.
        ("josé@example.com", true), ("ana@exämple.com", true), ("a@b.abcdefghijklm", true),
        (String(repeating: "ü", count: 64) + "@example.com", true),
        (String(repeating: "ü", count: 65) + "@example.com", false),
        (String(repeating: "x", count: 64) + "@" + String(repeating: "y", count: 186) + ".com", true),
        (String(repeating: "x", count: 64) + "@" + String(repeating: "y", count: 187) + ".com", false),
        (String(repeating: "x", count: 64) + "@" + String(repeating: "ÿ", count: 186) + ".com", true),
        ("a@b.cö", true), ("ü@b.c", false), ("a b@ü.com", false),
    ])
    func emailRule(email: String, valid: Bool) {
        #expect(AccountEngagementProspectFields.isValidEmail(email) == valid)
    }
}

@Suite struct SharedPieceTests {
    @Test(arguments: [
        (0, 0, "1970-01-01T00:00:00+00:00"), (1_795_405_523, 0, "2026-11-23T03:45:23+00:00"),
        (1_795_405_523, -300, "2026-11-22T22:45:23-05:00"), (951_782_400, 0, "2000-02-29T00:00:00+00:00"),
        (-1, 0, "1969-12-31T23:59:59+00:00"),
    ])
    func timestampsRoundTrip(seconds: Int, offset: Int, text: String) {
        #expect(Timestamp.format(seconds, offsetMinutes: offset) == text)
        #expect(Timestamp.parse(text) == seconds)
    }

    @Test func timestampParsingAcceptsZuluAndFractions() {
        #expect(Timestamp.parse("2026-11-23T03:45:23.123Z") == 1_795_405_523)
        #expect(Timestamp.parse("2026-02-30T00:00:00Z") == nil)
        #expect(Timestamp.parse("2026-11-23") == nil)
        #expect(Timestamp.dayNumber(86_399, offsetMinutes: 0) == 0)
        #expect(Timestamp.dayNumber(86_399, offsetMinutes: 60) == 1)
    }

    @Test func cidrRanges() {
        let range = CIDRRange("203.0.113.0/24")!
        #expect(range.contains("203.0.113.77"))
        #expect(!range.contains("203.0.114.1"))
        #expect(range.contains("::ffff:203.0.113.9"))
        #expect(CIDRRange("::1")!.contains("::1"))
        #expect(!CIDRRange("10.0.0.0/8")!.contains("::1"))
        #expect(CIDRRange("10.0.0.0/33") == nil)
        #expect(CIDRRange("not-an-ip") == nil)
        #expect(IPAllowlist().permits("192.0.2.1"))
    }

    @Test func faultRulesCountSkipAndDrawFromTheirSeed() throws {
        let injector = FaultInjector()
        injector.add(FaultRule(method: "POST", path: "/a/*", skip: 1, times: 2, status: 503))
        let outcomes = (0..<5).map { _ in injector.evaluate(method: "POST", path: "/a/b")?.replacement?.status }
        #expect(outcomes == [nil, 503, 503, nil, nil])
        #expect(injector.evaluate(method: "GET", path: "/a/b") == nil)

        func draws(seed: UInt64) -> [Bool] {
            let random = FaultInjector()
            random.add(FaultRule(probability: 0.5, seed: seed, status: 500))
            return (0..<64).map { _ in random.evaluate(method: "GET", path: "/")?.replacement != nil }
        }
        #expect(draws(seed: 7) == draws(seed: 7))
        #expect(draws(seed: 7) != draws(seed: 8))
        let fired = draws(seed: 7).filter { $0 }.count
        #expect((16...48).contains(fired))
    }
}
