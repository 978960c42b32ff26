import Testing

@testable import FakeHTTP

@Suite struct RouterTests {
    @Test func matchesLiteralsParametersAndPrefixedParameters() {
        var router = Router<String>()
        router.add("POST", "/api/v5/objects/prospects/do/upsertLatestByEmail", "upsert")
        router.add("GET", "/api/v5/objects/prospects/{id}", "read")
        router.add("PATCH", "/api/v5/objects/prospects/{id}", "update")
        router.add("POST", "/hub/v1/dataevents/key:{key}/rowset", "by-key")
        router.add("POST", "/hub/v1/dataevents/{id}/rowset", "by-id")

        guard
            case .found(let upsert, _) = router.match(
                method: "POST", path: "/api/v5/objects/prospects/do/upsertLatestByEmail")
        else {
            Issue.record("no match")
            return
        }
        #expect(upsert == "upsert")
        guard case .found(let read, let parameters) = router.match(method: "GET", path: "/api/v5/objects/prospects/42")
        else {
            Issue.record("no match")
            return
        }
        #expect(read == "read" && parameters == ["id": "42"])
        guard
            case .found(let byKey, let keyParameters) = router.match(
                method: "POST", path: "/hub/v1/dataevents/key:Orders/rowset")
        else {
            Issue.record("no match")
            return
        }
        #expect(byKey == "by-key" && keyParameters == ["key": "Orders"])
        guard case .found(let byID, _) = router.match(method: "POST", path: "/hub/v1/dataevents/ABC-1/rowset")
        else {
            Issue.record("no match")
            return
        }
        #expect(byID == "by-id")
    }

    @Test func distinguishesWrongMethodFromUnknownPath() {
        var router = Router<Int>()
        router.add("GET", "/a/{id}", 1)
        router.add("PATCH", "/a/{id}", 2)
        guard case .methodNotAllowed(let allowed) = router.match(method: "PUT", path: "/a/1") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET", "PATCH"])
        guard case .notFound = router.match(method: "GET", path: "/b") else {
            Issue.record("expected 404")
            return
        }
    }
}
