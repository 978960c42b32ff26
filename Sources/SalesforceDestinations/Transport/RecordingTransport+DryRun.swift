import Foundation
import JSONCore

extension RecordingTransport {
    /// What the dry run "answers": a token for token requests (Marketing Cloud's pointing at a placeholder REST
    /// host), success for everything else.
    @Sendable public static func dryRunAnswer(_ request: TransportRequest) -> TransportResponse {
        // Read once: Foundation's URL parses its path again on every access (a fifth of a dry run's work).
        let path = request.url.path
        if path.hasSuffix("/oauth2/token") {
            return TransportResponse(
                status: 200, body: JSONWriter.bytes(["access_token": "dry-run-token", "token_type": "Bearer"]))
        }
        if path.hasSuffix("/v2/token") {
            return TransportResponse(
                status: 200,
                body: JSONWriter.bytes([
                    "access_token": "dry-run-token", "expires_in": 1080,
                    "rest_instance_url": "https://rest.dry-run.invalid/",
                ]))
        }
        if path.contains("/data/v1/async/") {
            if request.method == "PUT" {
                return TransportResponse(
                    status: 202, body: JSONWriter.bytes(["requestId": "00000000-0000-4000-8000-000000000000"]))
            }
            if path.hasSuffix("/status") {
                return TransportResponse(status: 200, body: JSONWriter.bytes(["status": ["requestStatus": "Complete"]]))
            }
            return TransportResponse(status: 200, body: JSONWriter.bytes(["items": []]))
        }
        if path.hasSuffix("/contacts/v1/contacts") {
            return TransportResponse(
                status: 200, body: JSONWriter.bytes(["operationStatus": "OK", "isNewContactKey": true]))
        }
        return TransportResponse(
            status: path.hasSuffix("/rowset") ? 200 : 201, body: JSONWriter.bytes(["id": 0]))
    }
}
