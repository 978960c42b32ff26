import Foundation
import NIOSSL

/// Which certificate authorities the client trusts. Verification itself is never turned off.
///
/// - By default, the system store.
/// - `SSL_CERT_FILE` (the variable OpenSSL, curl and Python honour) replaces the system store with the PEM
///   bundle it names.
/// - `--ca-file` adds a private CA (a TLS-inspecting proxy's, a test server's) to whichever store is in use.
public struct TrustStore: Sendable, Equatable {
    /// A PEM file of CA certificates, read and checked.
    public struct Bundle: Sendable, Equatable {
        /// The file as named (by `SSL_CERT_FILE` or `--ca-file`).
        public var path: String
        /// The file's PEM text.
        public var pem: String
        /// How many certificates the file holds (at least one).
        public var certificateCount: Int
    }

    /// Replaces the system store (`SSL_CERT_FILE`).
    public var replacement: Bundle?
    /// Trusted as well (`--ca-file`).
    public var additional: Bundle?

    /// Creates a store; with neither bundle, the system store alone. Use ``load(caFile:environment:)`` to read files.
    public init(replacement: Bundle? = nil, additional: Bundle? = nil) {
        self.replacement = replacement
        self.additional = additional
    }

    /// Reads and checks the files: each must hold at least one PEM certificate.
    public static func load(caFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(TrustStoreError) -> TrustStore
    {
        var store = TrustStore()
        if let path = environment["SSL_CERT_FILE"], !path.isEmpty {
            store.replacement = try bundle(path, named: "SSL_CERT_FILE=\(path)")
        }
        if let caFile { store.additional = try bundle(caFile, named: "--ca-file \(caFile)") }
        return store
    }

    private static func bundle(_ path: String, named name: String) throws(TrustStoreError) -> Bundle {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrustStoreError(message: "\(name): cannot read the file (\(String(cString: strerror(errno))))")
        }
        let pem = String(decoding: data, as: UTF8.self)
        let count: Int
        do {
            count = try NIOSSLCertificate.fromPEMBytes(Array(data)).count
        } catch {
            throw TrustStoreError(message: "\(name): not a PEM certificate file (\(error))")
        }
        guard count > 0 else {
            throw TrustStoreError(message: "\(name): holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return Bundle(path: path, pem: pem, certificateCount: count)
    }

    /// For the report and logs: where trust comes from.
    public var description: String {
        var text =
            replacement.map { "SSL_CERT_FILE \($0.path) (\($0.certificateCount) certificates)" } ?? "system store"
        if let additional { text += " + --ca-file \(additional.path) (\(additional.certificateCount) certificates)" }
        return text
    }
}

/// A CA file that cannot be used.
public struct TrustStoreError: Error, Sendable, CustomStringConvertible {
    /// Which file, and why it cannot be used.
    public var message: String
    /// The message.
    public var description: String { message }
}

extension AsyncHTTPClientTransport {
    /// The production transport trusting `store`.
    public convenience init(trust store: TrustStore, timeoutSeconds: Int64 = 60) throws {
        try self.init(
            trustedRootCertificates: store.replacement.map { [$0.pem] },
            additionalRootCertificates: store.additional.map { [$0.pem] } ?? [],
            timeoutSeconds: timeoutSeconds)
    }
}
