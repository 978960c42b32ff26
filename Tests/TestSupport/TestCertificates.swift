import Foundation

/// A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with the openssl command at test
/// time (nothing secret is committed). Each call makes a new pair in its own folder.
public struct TestCertificates: Sendable {
    public let caPEM: String
    public let serverKeyPEM: String
    public let serverCertificatePEM: String

    public init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sfdest-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func run(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = folder
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw TestFailure(
                    "openssl \(arguments.first ?? ""): "
                        + String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            }
        }
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(
            ["req", "-x509"] + curve + [
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=sfdest test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        try run(["req"] + curve + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try Data("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".utf8).write(
            to: folder.appendingPathComponent("ext.cnf"))
        try run([
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "server.pem",
            "-days", "2", "-extfile", "ext.cnf",
        ])
        func read(_ name: String) throws -> String {
            try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        }
        caPEM = try read("ca.pem")
        serverKeyPEM = try read("server.key")
        serverCertificatePEM = try read("server.pem")
    }
}
