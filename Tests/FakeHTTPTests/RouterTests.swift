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

    /// Parameterised routes are tried by segment count; the order they were added still decides among routes of the
    /// same count, and the other counts never answer (RouteTable's buckets).
    @Test func routesOfEachSegmentCountKeepTheirOrderAndNoOtherCountAnswers() {
        var router = Router<String>()
        router.add("GET", "/x/{a}", "one")
        router.add("GET", "/x/{a}/y", "two")
        router.add("PUT", "/x/{a}/{b}", "two-any")
        router.add("GET", "/x/{a}/{b}/z", "three")
        router.add("GET", "/x/{a}/{b}", "two-later")
        #expect(matched(router, "GET", "/x/1") == "one [a=1]")
        #expect(matched(router, "GET", "/x/1/y") == "two [a=1]")
        #expect(matched(router, "GET", "/x/1/q") == "two-later [a=1, b=q]")
        #expect(matched(router, "PUT", "/x/1/y") == "two-any [a=1, b=y]")
        #expect(matched(router, "GET", "/x/1/q/z") == "three [a=1, b=q]")
        #expect(matched(router, "GET", "/x/1/q/w") == "404")
        #expect(matched(router, "DELETE", "/x/1/q") == "405 PUT, GET")
        // Escapes are decoded segment by segment; doubled and trailing slashes are dropped; a bad escape is a 404.
        #expect(matched(router, "GET", "/x/a%2Fb/y") == "two [a=a/b]")
        #expect(matched(router, "GET", "//x//1/y/") == "two [a=1]")
        #expect(matched(router, "GET", "/x/%zz/y") == "404")
    }

    private func matched(_ router: Router<String>, _ method: String, _ path: String) -> String {
        switch router.match(method: method, path: path) {
        case .found(let handler, let parameters):
            "\(handler) [\(parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))]"
        case .methodNotAllowed(let allowed): "405 \(allowed.joined(separator: ", "))"
        case .notFound: "404"
        }
    }
}
