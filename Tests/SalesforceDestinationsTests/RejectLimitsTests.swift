import Foundation
import JSONCore
import SalesforceDestinations
import TestSupport
import Testing

/// A run whose rejections say the run itself is failing stops, with a reason and advice, instead of spending a
/// call per record and reporting success (issue 28: a misspelt `fristName` cost every record a call and exited 0).
@Suite struct RejectLimitsTests {
    typealias Fixture = AccountEngagementFixture

    static func profiles(_ count: Int, bad: (Int) -> Bool = { _ in false }) -> [String] {
        (0..<count).map { index in
            bad(index)
                ? #"{"email": "not-an-email-\#(index)", "firstName": "F\#(index)"}"#
                : #"{"email": "u\#(index)@example.com", "firstName": "F\#(index)"}"#
        }
    }

    /// A misspelt standard field: the fake refuses every record with code 180. The first 50 are refused the same
    /// way, and the run stops there: the other 70 are never sent.
    @Test func theFirstRecordsAllFailingTheSameWayStopTheRun() async throws {
        try await withFixture(Fixture()) { fake in
            let config = try fake.config(concurrency: 1, mapping: "email: email\n  fristName: firstName")
            let report = try await fake.send(
                Self.profiles(120), config: config, rejectLimits: RejectLimits(breakerRecords: 50))
            #expect(report.stop?.code.rawValue == "breaker", "\(String(describing: report.stop))")
            #expect(report.stop?.reason.contains("[180]") == true)
            #expect(report.rejected == 50)
            #expect(report.notAttempted == 70)
            #expect(report.addsUp)
            #expect(report.topRejections(5).count == 1)
        }
    }

    /// More than half rejected, with different messages (each names its address) and good records among them:
    /// not the breaker, but the share, checked from 100 finished records on.
    @Test func aShareOfRejectionsOverTheLimitStopsTheRun() async throws {
        try await withFixture(Fixture()) { fake in
            let config = try fake.config(concurrency: 1)
            let report = try await fake.send(
                Self.profiles(400) { $0 % 4 != 0 }, config: config, rejectLimits: .sendDefaults)
            #expect(report.stop?.code.rawValue == "rejectLimit", "\(String(describing: report.stop))")
            #expect(report.rejected >= 51 && report.rejected <= 80)
            #expect(report.notAttempted >= 300)
            #expect(report.addsUp)
        }
    }

    /// A short run where every record is rejected is checked at the end of its input, whatever the sample; a
    /// run under the limit, or with no limits, goes on as before.
    @Test func theShareIsCheckedAtTheEndOfTheInput() async throws {
        try await withFixture(Fixture()) { fake in
            let config = try fake.config(concurrency: 1)
            let all = try await fake.send(Self.profiles(4) { _ in true }, config: config, rejectLimits: .sendDefaults)
            #expect(all.stop?.code.rawValue == "rejectLimit")
            #expect(all.rejected == 4 && all.notAttempted == 0 && all.addsUp)
            let some = try await fake.send(Self.profiles(4) { $0 == 1 }, config: config, rejectLimits: .sendDefaults)
            #expect(some.stop == nil)
            let unlimited = try await fake.send(Self.profiles(4) { _ in true }, config: config)
            #expect(unlimited.stop == nil && unlimited.rejected == 4)
        }
    }

    @Test func maxRejectsStopsOnceItIsPassed() async throws {
        try await withFixture(Fixture()) { fake in
            let config = try fake.config(concurrency: 1)
            let report = try await fake.send(
                Self.profiles(40) { $0 % 2 == 1 }, config: config, rejectLimits: RejectLimits(maxRejects: 3))
            #expect(report.stop?.code.rawValue == "rejectLimit")
            #expect(report.rejected == 4)
            #expect(report.addsUp)
        }
    }

    /// Top reasons group by code and message without the line number: ten mapping rejections are one reason.
    @Test func mappingRejectionsOfOneFieldAreOneReason() async throws {
        try await withFixture(Fixture()) { fake in
            let lines = (0..<10).map { #"{"firstName": "no email \#($0)"}"# } + Self.profiles(30)
            let report = try await fake.send(lines, config: try fake.config(concurrency: 1))
            #expect(report.rejected == 10)
            let top = report.topRejections(5)
            #expect(top.count == 1, "\(top)")
            #expect(top.first?.count == 10)
            #expect(top.first?.reason.message.hasPrefix("email: ") == true)
        }
    }
}
