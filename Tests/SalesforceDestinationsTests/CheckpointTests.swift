import Foundation
import SalesforceDestinations
import Testing

/// The checkpoint file format: framed, checksummed, fingerprinted; torn tails cut, other damage refused.
@Suite final class CheckpointTests: Sendable {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-checkpoint-\(UUID().uuidString)")
    let fingerprints = Checkpoint.Fingerprints(inputSHA256: "aa", inputBytes: 10, configSHA256: "bb")

    init() throws { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: folder) }

    func written(_ lines: Int) throws -> String {
        let path = folder.appendingPathComponent("k-\(UUID().uuidString)").path
        let checkpoint = try Checkpoint(path: path, resume: false, fingerprints: fingerprints)
        try checkpoint.record((1...lines).map { ($0, UInt64($0), RecordOutcome.created) })
        try checkpoint.record([(lines + 1, 7, .rejected(code: "4", message: "Invalid prospect email address"))])
        return path
    }

    @Test func whatWasRecordedIsReadBack() throws {
        let path = try written(3)
        let resumed = try Checkpoint(path: path, resume: true, fingerprints: fingerprints)
        #expect(resumed.finished.count == 4)
        #expect(resumed.finished[2]?.textHash == 2 && resumed.finished[2]?.outcome == .created)
        #expect(
            resumed.finished[4]?.textHash == 7
                && resumed.finished[4]?.outcome == .rejected(code: "4", message: "Invalid prospect email address"))
        #expect(resumed.repairedBytes == 0)
    }

    /// A new run never overwrites an earlier run's finished lines silently: it is refused with both ways on,
    /// and --fresh discards them (issue 28).
    @Test func aNewRunOnACheckpointWithFinishedLinesIsRefused() throws {
        let path = try written(3)
        #expect { try Checkpoint(path: path, resume: false, fingerprints: self.fingerprints) } throws: { error in
            "\(error)".contains("holds 4 finished lines of an earlier run") && "\(error)".contains("--resume")
                && "\(error)".contains("--fresh")
        }
        #expect(try Checkpoint(path: path, resume: true, fingerprints: fingerprints).finished.count == 4)
        let fresh = try Checkpoint(path: path, opening: .fresh, fingerprints: fingerprints)
        #expect(fresh.finished.isEmpty)
        // A checkpoint with its header and no finished line yet may be started again.
        #expect(throws: Never.self) { try Checkpoint(path: path, resume: false, fingerprints: self.fingerprints) }
        // A file that is not a checkpoint is not overwritten either.
        let other = folder.appendingPathComponent("notes.txt").path
        try Data("my notes\n".utf8).write(to: URL(fileURLWithPath: other))
        #expect { try Checkpoint(path: other, resume: false, fingerprints: self.fingerprints) } throws: { error in
            "\(error)".contains("is not an sfdest checkpoint")
        }
        #expect(try String(contentsOfFile: other, encoding: .utf8) == "my notes\n")
    }

    @Test func aTornTailIsCutAndTheNextRecordIsWhole() throws {
        let path = try written(3)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.append(Data("0badc0de {\"line\":9,\"ha".utf8))
        try bytes.write(to: URL(fileURLWithPath: path))
        let resumed = try Checkpoint(path: path, resume: true, fingerprints: fingerprints)
        #expect(resumed.repairedBytes == 22)
        try resumed.record([(5, 5, .updated)])
        let again = try Checkpoint(path: path, resume: true, fingerprints: fingerprints)
        #expect(again.finished[5]?.outcome == .updated && again.finished.count == 5)
    }

    @Test func damageBeforeTheEndIsRefused() throws {
        let path = try written(3)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"line\":2", with: "\"line\":3")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect { try Checkpoint(path: path, resume: true, fingerprints: self.fingerprints) } throws: { error in
            "\(error)".contains("is damaged at record 3") && "\(error)".contains("checksum does not match")
        }
    }

    @Test func anotherInputOrConfigIsRefused() throws {
        let path = try written(1)
        var other = fingerprints
        other.inputSHA256 = "cc"
        #expect { try Checkpoint(path: path, resume: true, fingerprints: other) } throws: {
            "\($0)".contains("belongs to another input")
        }
        other = fingerprints
        other.configSHA256 = "dd"
        #expect { try Checkpoint(path: path, resume: true, fingerprints: other) } throws: {
            "\($0)".contains("another config")
        }
        // Standard input has no whole-file fingerprint: each line's hash is checked instead.
        other = fingerprints
        other.inputSHA256 = nil
        #expect(throws: Never.self) { try Checkpoint(path: path, resume: true, fingerprints: other) }
    }
}
