import Foundation

/// Raw bytes over TLS, through the openssl command (`s_client`), for tests of what a server answers to malformed
/// requests on an HTTPS port, where a socket cannot write them in clear.
public enum TLSRawClient {
    /// Writes `bytes` over a TLS connection to 127.0.0.1:`port` and returns everything the server sent until it
    /// closed the connection (or `timeoutSeconds` passed, when the process is stopped and what came is returned).
    public static func exchange(port: UInt16, bytes: [UInt8], timeoutSeconds: Double = 10) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // -quiet: no session summary on stdout, and the end of input does not end the connection (-ign_eof): the
        // server's answer is read until it closes.
        process.arguments = ["openssl", "s_client", "-quiet", "-connect", "127.0.0.1:\(port)"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(bytes))
        try input.fileHandleForWriting.close()
        let deadline = DispatchTime.now() + timeoutSeconds
        let stopper = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: deadline, execute: stopper)
        let reply = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        stopper.cancel()
        return Array(reply)
    }
}
