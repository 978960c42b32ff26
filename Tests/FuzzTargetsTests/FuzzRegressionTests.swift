import Foundation
import FuzzTargets
import Testing

/// Every input in `Fuzz/corpus/<target>/` (the seeds the fuzzers start from) and `Fuzz/regressions/<target>/` (each
/// input a fuzzer ever failed on, kept once fixed) holds its reader's property on every `swift test`, without
/// libFuzzer (issue 27).
struct FuzzRegressionTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ target: FuzzTarget) -> [URL] {
        ["corpus", "regressions"].flatMap { folder in
            let directory = fuzz.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.sorted().map { directory.appendingPathComponent($0) }
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyKeptInputHoldsItsReadersProperty(_ target: FuzzTarget) throws {
        let inputs = Self.inputs(target)
        #expect(inputs.count >= 3, "the seed corpus of \(target.rawValue) is in Fuzz/corpus")
        for input in inputs {
            let bytes = [UInt8](try Data(contentsOf: input))
            #expect(target.check(bytes) == nil, "\(input.lastPathComponent)")
        }
    }
}
