import Foundation

/// Runs an executable built by this package (as swift-argument-parser's own tests do) and reads its output.
public final class BuiltProduct: @unchecked Sendable {
    // The process and pipe are only touched from the test that owns this value.
    public let process = Process()
    private let output = Pipe()
    private var buffer = Data()

    /// The products folder: where the test bundle itself was built.
    public static var productsDirectory: URL {
        let candidates = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        for candidate in candidates {
            var folder = candidate
            for _ in 0..<3 {
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("sfdest").path) { return folder }
                folder = folder.deletingLastPathComponent()
            }
        }
        return candidates[0]
    }

    /// Starts `name` with arguments and environment additions.
    public init(_ name: String, arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = Self.productsDirectory.appendingPathComponent(name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Reads output lines until one satisfies `predicate` or the timeout passes.
    public func waitForLine(timeout: TimeInterval = 20, where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        let handle = output.fileHandleForReading
        while Date() < deadline {
            let text = String(decoding: buffer, as: UTF8.self)
            if let line = text.split(separator: "\n").map(String.init).first(where: predicate) { return line }
            let chunk = handle.availableData
            if chunk.isEmpty {
                if !process.isRunning { return nil }
                Thread.sleep(forTimeInterval: 0.02)
            }
            buffer.append(chunk)
        }
        return nil
    }

    /// Everything read so far.
    public var text: String { String(decoding: buffer, as: UTF8.self) }

    /// Sends a signal and waits for the exit status.
    public func stop(signal: Int32 = SIGTERM) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        buffer.append(output.fileHandleForReading.readDataToEndOfFile())
        return process.terminationStatus
    }
}
