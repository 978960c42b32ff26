import Foundation
import JSONCore
import SalesforceFakes
import TestSupport
import Testing

/// The latency model: seeded, per endpoint, and holding the request's concurrency slot like a production call.
@Suite(.onBlockingThreads) struct LatencyModelTests {
    @Test func aSeededModelRepeatsAndFollowsItsMedian() {
        let model = LatencyModel()
        model.configure(
            profile: nil, rules: [LatencyRule(path: "/api/*", medianMilliseconds: 200, p99Milliseconds: 1000)], seed: 7)
        let first = (0..<2000).compactMap { _ in model.delay(method: "GET", path: "/api/x") }
        model.configure(
            profile: nil, rules: [LatencyRule(path: "/api/*", medianMilliseconds: 200, p99Milliseconds: 1000)], seed: 7)
        let again = (0..<2000).compactMap { _ in model.delay(method: "GET", path: "/api/x") }
        #expect(first == again)
        let milliseconds: [Double] = first.map { (delay: Duration) -> Double in
            Double(delay.components.seconds) * 1000 + Double(delay.components.attoseconds) / 1e15
        }
        let sorted = milliseconds.sorted()
        let median = sorted[sorted.count / 2]
        let p99 = sorted[sorted.count * 99 / 100]
        #expect((170...230).contains(median), "median \(median) ms")
        #expect((750...1300).contains(p99), "p99 \(p99) ms")
        #expect(model.delay(method: "GET", path: "/other") == nil)
    }

    /// With the production profile on, ten requests in flight for one business unit meet code 66, as they would
    /// against Salesforce; with it off, the same load passes because each answer takes microseconds.
    @Test func productionLatencyMakesTenInFlightMeetCode66() throws {
        let fake = try AccountEngagementTestClient()
        defer { fake.stop() }
        let token = try fake.token()
        func burst() -> [Int] {
            RawHTTPClient.parallel(10) { index in
                (try? fake.upsert(
                    ["matchEmail": .string("p\(index)@x.com"), "prospect": ["firstName": "P"]], token: token
                ).json?["code"]?.intValue) ?? 0
            }
        }
        #expect(!burst().contains(66))
        let set = try fake.control("PUT", "latency", json: ["profile": "production", "seed": 3])
        #expect(set.status == 200)
        #expect(set.json?["profile"] == "production")
        #expect(burst().contains(66))
        #expect(try fake.control("DELETE", "latency").status == 200)
        let unknown = try fake.control("PUT", "latency", json: ["profile": "nope"])
        #expect(unknown.status == 400)
        #expect(unknown.json?["path"] == "profile")
    }
}
