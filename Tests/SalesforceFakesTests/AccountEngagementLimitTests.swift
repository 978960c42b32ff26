import Foundation
import JSONCore
import TestSupport
import Testing

@Suite(.onBlockingThreads) struct AccountEngagementLimitTests {
    @Test func sixthConcurrentRequestGetsCode66() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        // Hold each answer for a second so that six requests are in flight together.
        _ = try fake.control("POST", "faults", json: ["path": "/api/v5/objects/prospects", "delayMillis": 1000])
        let responses = RawHTTPClient.parallel(6) { _ in
            try? fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token)
        }
        let statuses = responses.compactMap { $0?.status }.sorted()
        #expect(statuses == [200, 200, 200, 200, 200, 429])
        let limited = responses.compactMap { $0 }.first { $0.status == 429 }
        #expect(
            limited?.json == [
                "code": 66,
                "message": "You have exceeded your concurrent request limit. Please wait, before trying again",
            ])
        // Slots are released when answers are sent.
        _ = try fake.control("DELETE", "faults")
        #expect(try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token).status == 200)
    }

    /// Requests in flight belong to the server, not the state: a reset while five are held must not let a sixth
    /// through once they are answered (a count kept in the state went back to 0 and then to -5).
    @Test func resetDuringRequestsKeepsTheConcurrencyLimit() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        // Held for 3 s; the reset comes as soon as the journal shows all five (it records a request before its delay).
        let delay: JSONValue = ["path": "/api/v5/objects/prospects", "delayMillis": 3000]
        _ = try fake.control("POST", "faults", json: delay)
        let held = try fake.token()
        let answered = RawHTTPClient.parallel(6) { index -> Int? in
            guard index == 5 else {
                return try? fake.api("GET", "/api/v5/objects/prospects?fields=id", token: held).status
            }
            // The sixth thread resets once the five requests are being held (the reset clears the faults too).
            let deadline = Date().addingTimeInterval(2.5)
            while Date() < deadline, (try? fake.heldCount(path: "/api/v5/objects/prospects")) != 5 {
                Thread.sleep(forTimeInterval: 0.01)
            }
            return try? fake.control("POST", "reset").status
        }
        #expect(answered.compactMap { $0 } == [200, 200, 200, 200, 200, 200])
        _ = try fake.control("POST", "faults", json: delay)
        let token = try fake.token()
        let statuses = RawHTTPClient.parallel(6) { _ in
            try? fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token).status
        }
        #expect(statuses.compactMap { $0 }.sorted() == [200, 200, 200, 200, 200, 429])
    }

    @Test func dailyQuotaStopsAtTheLimitAndResetsAtTheUnitsMidnight() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        _ = try fake.control("POST", "clock", json: ["now": "2026-06-01T20:00:00Z", "frozen": true])
        try fake.seedDefaultUnit(
            unit: ["dailyRequestLimit": 3, "utcOffsetMinutes": -300], settings: ["sessionTimeoutSeconds": 86400])
        let token = try fake.token()
        let usage = [("X-Return-Api-Usage", "1")]
        for expected in 1...3 {
            let call = try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token, extraHeaders: usage)
            #expect(call.status == 200)
            #expect(call.header("x-api-usage") == "\(expected)/3")
        }
        let over = try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token)
        #expect(over.status == 429)
        #expect(over.json == ["code": 122, "message": "Daily API rate limit met"])
        // 20:00Z is 15:00 at UTC-5: 8 hours later (23:00) is the same local day, 9 hours later (00:00) the next.
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 28800])
        #expect(try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token).pardotCode == 122)
        _ = try fake.control("POST", "clock", json: ["advanceSeconds": 3600])
        #expect(try fake.api("GET", "/api/v5/objects/prospects?fields=id", token: token).status == 200)
    }
}
