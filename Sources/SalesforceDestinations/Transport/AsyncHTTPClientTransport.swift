import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOSSL

/// The production transport: async-http-client with TLS certificate verification.
public final class AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient
    private let timeout: TimeAmount
    private let maxResponseBytes: Int

    /// Creates the transport and its connection pool; call ``shutdown()`` when done.
    ///
    /// - Parameters:
    ///   - trustedRootCertificates: PEM certificates to trust instead of the system store (`SSL_CERT_FILE`;
    ///     tests use a CA they generate); verification stays on either way.
    ///   - additionalRootCertificates: PEM certificates to trust as well as the others (`--ca-file`: a private
    ///     CA, or a TLS-inspecting proxy's).
    ///   - timeoutSeconds: per request, connect to last byte.
    ///   - maxResponseBytes: the largest response body accepted; a longer one is a ``TransportError``.
    public init(
        trustedRootCertificates: [String]? = nil, additionalRootCertificates: [String] = [], timeoutSeconds: Int64 = 60,
        maxResponseBytes: Int = 16 * 1024 * 1024
    ) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let pems = trustedRootCertificates {
            tls.trustRoots = .certificates(try pems.flatMap { try NIOSSLCertificate.fromPEMBytes(Array($0.utf8)) })
        }
        if !additionalRootCertificates.isEmpty {
            tls.additionalTrustRoots = [
                .certificates(
                    try additionalRootCertificates.flatMap { try NIOSSLCertificate.fromPEMBytes(Array($0.utf8)) })
            ]
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.decompression = .enabled(limit: .ratio(20))
        configuration.redirectConfiguration = .disallow
        // Delivery retries with its own backoff and budget; the pool's retry-until-deadline would hide a refused
        // certificate or connection behind a timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        timeout = .seconds(timeoutSeconds)
        self.maxResponseBytes = maxResponseBytes
    }

    /// Sends one request on the shared connection pool; any failure without an HTTP answer (connect, TLS,
    /// timeout, a body over `maxResponseBytes`) is a ``TransportError``. No redirects are followed.
    public func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for field in request.headers { outgoing.headers.add(name: field.name.rawName, value: field.value) }
        if !request.body.isEmpty { outgoing.body = .bytes(request.body) }
        do {
            let response = try await client.execute(outgoing, timeout: timeout)
            let body = try await response.body.collect(upTo: maxResponseBytes)
            return TransportResponse(
                status: Int(response.status.code), headers: Self.fields(response.headers),
                body: Array(body.readableBytesView))
        } catch {
            throw TransportError(
                code: Self.code(of: error), message: "\(request.method) \(request.url.host ?? ""): \(error)")
        }
    }

    /// The kind of a failure async-http-client or NIO reported, matched on their error types.
    static func code(of error: any Error) -> TransportError.Code {
        if isTrustFailure(error) { return .untrustedCertificate }
        if error is NIOTooManyBytesError { return .responseTooLarge }
        if let client = error as? HTTPClientError,
            [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(client)
        {
            return .timedOut
        }
        return .connectionFailed
    }

    /// NIO's headers as the transport's; NIO has checked the names already, so none is dropped in practice.
    static func fields(_ headers: NIOHTTP1.HTTPHeaders) -> HTTPFields {
        HTTPFields(headers.compactMap { name, value in HTTPField.Name(name).map { HTTPField(name: $0, value: value) } })
    }

    /// A TLS handshake the server's certificate failed (untrusted chain, wrong host name): matched on NIOSSL's
    /// error types, not their text. Other NIOSSL errors (an unclean shutdown) are connection failures, retried.
    static func isTrustFailure(_ error: any Error) -> Bool {
        if let ssl = error as? NIOSSLError, case .handshakeFailed = ssl { return true }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname { return true }
        return false
    }

    /// Closes connections; call once when the run ends.
    public func shutdown() async {
        try? await client.shutdown()
    }
}
