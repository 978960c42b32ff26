import Foundation

/// Runs an executable built by this package (as swift-argument-parser's own tests do) and reads its output.
public final class BuiltProduct: @unchecked Sendable {
    // The process and pipe are only touched from the test that owns this value.
    public let process = Process()
    private let output = Pipe()
    private var buffer = Data()

    /// The products folder: where the test bundle itself was built.
    public static var productsDirectory: URL {
        let candidates = [
            Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ]
        for candidate in candidates {
            var folder = candidate
            for _ in 0..<3 {
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("sfdest").path) {
                    return folder
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        return candidates[0]
    }

    /// Starts `name` with arguments and environment additions.
    public convenience init(_ name: String, arguments: [String], environment: [String: String] = [:]) throws {
        try self.init(
            executable: Self.productsDirectory.appendingPathComponent(name).path, arguments: arguments,
            environment: environment)
    }

    /// Starts any program (a shell that sets limits first, `script` for a terminal) the same way.
    public init(executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Reads output lines until one satisfies `predicate` or the timeout passes.
    public func waitForLine(timeout: TimeInterval = 20, where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let text = String(decoding: buffer, as: UTF8.self)
            if let line = text.split(separator: "\n").map(String.init).first(where: predicate) { return line }
            guard Date() < deadline else { return nil }
            if !readAvailable(waitingUpTo: min(0.2, max(0, deadline.timeIntervalSinceNow))), !process.isRunning {
                return nil
            }
        }
    }

    /// Appends what the pipe holds, waiting at most `seconds` for something to arrive; false at end of file or
    /// when nothing came. Never blocks past the wait: a blocking read would wait for every copy of the pipe's write
    /// end to close, and a child started at the same moment by another test may hold one.
    private func readAvailable(waitingUpTo seconds: TimeInterval) -> Bool {
        let fd = output.fileHandleForReading.fileDescriptor
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// Reads all output until the process exits (so a chatty process never blocks on a full pipe), and returns
    /// its exit status (128 + n when a signal n ended it).
    public func finish(timeout: TimeInterval = 120) -> Int32 {
        _ = waitForLine(timeout: timeout) { _ in false }
        process.waitUntilExit()
        // Never readDataToEndOfFile: another test's child may hold a copy of the write end (see readAvailable).
        while readAvailable(waitingUpTo: 0.2) {}
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Everything read so far.
    public var text: String { String(decoding: buffer, as: UTF8.self) }

    /// Sends a signal and waits for the exit status.
    public func stop(signal: Int32 = SIGTERM) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        // What the child wrote before it exited is in the pipe already; stop at the first empty wait.
        while readAvailable(waitingUpTo: 0.2) {}
        return process.terminationStatus
    }
}
