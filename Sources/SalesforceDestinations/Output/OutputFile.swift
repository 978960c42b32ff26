import Foundation

/// A file the run writes (report, rejects, checkpoint, transcript, capture), opened before the first request
/// is sent so that a bad path is found while nothing has been delivered yet.
///
/// Paths are opened the way a shell's `>` and `>>` open them: a symlink is written through to its target and
/// a device (`/dev/null`, `/dev/stdout`) is written to, never replaced by a new regular file. A directory is
/// refused. Every write reports its failure (`ENOSPC`, `EIO`, `EFBIG`) instead of trapping or dropping bytes.
package final class OutputFile: @unchecked Sendable {
    // The descriptor is written from one task at a time (the owner serialises its calls).
    private let descriptor: Int32
    /// The path as the operator gave it, for messages.
    package let path: String
    /// What the file is for ("report", "rejects file"), for messages.
    package let purpose: String
    /// True for a regular file (which can be truncated and synced); false for devices, pipes and sockets.
    package let isRegularFile: Bool

    package enum Mode: Sendable {
        /// Start empty (`>`).
        case truncate
        /// Keep what is there and add to its end (`>>`).
        case append
        /// Open, creating it if needed, without touching its contents: the owner truncates when it writes.
        case preserve
    }

    /// Opens `path`, or throws an ``OutputError`` naming the path and the reason.
    package init(path: String, purpose: String, mode: Mode) throws(OutputError) {
        self.path = path
        self.purpose = purpose
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw OutputError(purpose: purpose, path: path, reason: "is a directory")
        }
        var flags = O_WRONLY | O_CREAT | O_CLOEXEC
        switch mode {
        case .truncate: flags |= O_TRUNC
        case .append: flags |= O_APPEND
        case .preserve: break
        }
        let descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else { throw OutputError(purpose: purpose, path: path, errno: errno) }
        guard fstat(descriptor, &status) == 0 else {
            let failure = errno
            close(descriptor)
            throw OutputError(purpose: purpose, path: path, errno: failure)
        }
        self.descriptor = descriptor
        isRegularFile = status.st_mode & S_IFMT == S_IFREG
    }

    private init(standardOutput: ()) {
        descriptor = dup(STDOUT_FILENO)
        path = "-"
        purpose = "report on standard output"
        var status = stat()
        isRegularFile = fstat(descriptor, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    /// Standard output (the report when no `--report` is given), with the same error reporting as a file.
    package static var standardOutput: OutputFile { OutputFile(standardOutput: ()) }

    deinit { close(descriptor) }

    /// Writes every byte, or throws: a short write is continued, an error is reported.
    package func write(_ bytes: [UInt8]) throws(OutputError) {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure != 0 { throw OutputError(purpose: purpose, path: path, errno: failure) }
    }

    /// Replaces the whole contents (the report, written once at the end). Devices are simply written to.
    package func replaceContents(with bytes: [UInt8]) throws(OutputError) {
        if isRegularFile {
            guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
                throw OutputError(purpose: purpose, path: path, errno: errno)
            }
        }
        try write(bytes)
        try sync()
    }

    /// Cuts a regular file to `length` bytes (a checkpoint's torn tail).
    package func truncate(to length: Int) throws(OutputError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw OutputError(purpose: purpose, path: path, errno: errno)
        }
    }

    /// Makes what was written durable (`fdatasync`); a no-op for devices and pipes, which cannot be synced.
    package func sync() throws(OutputError) {
        guard isRegularFile else { return }
        if fdatasync(descriptor) != 0, errno != EINVAL { throw OutputError(purpose: purpose, path: path, errno: errno) }
    }
}

/// An output file that could not be opened or written: the operator sees which file and why.
public struct OutputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the file is for, as the operator knows it: `rejects file`, `checkpoint`, `report`.
    public var purpose: String
    /// The file's path as given.
    public var path: String
    /// The system's reason (`No space left on device`).
    public var reason: String

    package init(purpose: String, path: String, reason: String) {
        self.purpose = purpose
        self.path = path
        self.reason = reason
    }

    init(purpose: String, path: String, errno code: Int32) {
        self.init(purpose: purpose, path: path, reason: String(cString: strerror(code)))
    }

    /// `cannot write the <purpose> <path>: <reason>`.
    public var description: String { "cannot write the \(purpose) \(path): \(reason)" }
}
