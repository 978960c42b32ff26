import Crypto
import Foundation

/// SHA-256 of a file's bytes, read in 1 MiB chunks: what ties a checkpoint and a report to the exact input and
/// config a run read.
package enum FileFingerprint {
    package struct Digest: Sendable, Equatable {
        /// Lower-case hex.
        package var sha256: String
        package var bytes: Int
    }

    /// The digest, or nil for standard input (`-`), a pipe or a device, which cannot be read twice.
    package static func of(path: String) throws(InputError) -> Digest? {
        guard path != "-" else { return nil }
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError(message: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes = 0
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
                bytes += chunk.count
            }
        } catch {
            throw InputError(message: "cannot read \(path): \(error)")
        }
        return Digest(sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined(), bytes: bytes)
    }
}

extension Checkpoint.Fingerprints {
    /// The fingerprints of an input file (or `-`) and a config file.
    package static func of(inputPath: String, configPath: String?) throws(InputError) -> Checkpoint.Fingerprints {
        let input = try FileFingerprint.of(path: inputPath)
        let config = try configPath.flatMap { path throws(InputError) in try FileFingerprint.of(path: path) }
        return Checkpoint.Fingerprints(
            inputSHA256: input?.sha256, inputBytes: input?.bytes, configSHA256: config?.sha256)
    }
}
