import FakeHTTP
import JSONCore

/// A Marketing Cloud REST error: `{"message", "errorcode", "documentation"}` (+ `additionalErrors`), per the
/// "Handle Errors in REST API" table (docs/reference/salesforce-apis.md §B2–B3).
struct MarketingCloudRestError: Error, Sendable {
    static let documentation =
        "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"

    var status: Int
    var code: Int
    var message: String
    var additionalErrors: [JSONValue] = []
    var headers = HTTPHeaders()
    var extra: [String: JSONValue] = [:]

    /// Captured 400 validation bodies (10000, 10001, 10006) carry `"documentation": ""`; the URL appears in 401
    /// and 429 bodies (salesforcejandj.com captures, SFMC-SDK's rest.js; evidence/marketing-cloud/rowset-10006-*).
    var documentationText: String { status == 400 ? "" : Self.documentation }

    var response: HTTPResponse {
        var body: [String: JSONValue] = [
            "message": .string(message), "errorcode": .integer(code), "documentation": .string(documentationText),
        ]
        if !additionalErrors.isEmpty { body["additionalErrors"] = .array(additionalErrors) }
        body.merge(extra) { $1 }
        var response = HTTPResponse.bytes(
            JSONWriter.bytes(.object(body)), status: status, contentType: "application/json; charset=utf-8")
        for field in headers { response.headers.add(name: field.name, value: field.value) }
        return response
    }

    static let notAuthorized = MarketingCloudRestError(status: 401, code: 0, message: "Not Authorized")
    static let insufficientPrivileges = MarketingCloudRestError(
        status: 403, code: 20002, message: "Insufficient privileges to complete this action.")
    static let blocked = MarketingCloudRestError(
        status: 429, code: 50200, message: "Your requests are temporarily blocked.")
    // Unknown paths and methods: the real bodies are UNKNOWN; the shape is the REST one.
    static let notFound = MarketingCloudRestError(
        status: 404, code: 30003, message: "The requested resource was not found.")
    static let methodNotAllowed = MarketingCloudRestError(
        status: 405, code: 10000, message: "The requested HTTP method is not allowed for this resource.")
    static let unsupportedMediaType = MarketingCloudRestError(
        status: 415, code: 10000, message: "Unsupported Media Type. Use Content-Type: application/json.")
    static let invalidJSON = MarketingCloudRestError(
        status: 400, code: 10004, message: "The request body is not valid JSON.")
    static let emptyBody = MarketingCloudRestError(status: 400, code: 10002, message: "The request body is required.")
    static let tooLarge = MarketingCloudRestError(status: 413, code: 10000, message: "The request body is too large.")

    static func throttled(retryAfter: Int) -> MarketingCloudRestError {
        MarketingCloudRestError(
            status: 429, code: 50100, message: "Rate limit exceeded", headers: ["Retry-After": String(retryAfter)],
            extra: ["retryAfter": .integer(retryAfter)])
    }

    static func unavailable(retryAfter: Int) -> MarketingCloudRestError {
        MarketingCloudRestError(
            status: 503, code: 50300, message: "Service Unavailable", headers: ["Retry-After": String(retryAfter)],
            extra: ["retryAfter": .integer(retryAfter)])
    }

    static func validation(_ message: String, code: Int = 10000) -> MarketingCloudRestError {
        MarketingCloudRestError(status: 400, code: code, message: message)
    }
}

/// The auth endpoint's errors: `{"error", "error_description", "error_uri"}`.
struct MarketingCloudAuthError: Error, Sendable {
    var status: Int
    var error: String
    var description: String

    var response: HTTPResponse {
        .bytes(
            JSONWriter.bytes([
                "error": .string(error), "error_description": .string(description),
                "error_uri": "https://developer.salesforce.com/docs",
            ]),
            status: status, contentType: "application/json; charset=utf-8")
    }

    // Captured body (sfmc-sdk and mcdev test fixtures).
    static let invalidClient = MarketingCloudAuthError(
        status: 401, error: "invalid_client",
        description:
            "Client authentication failed. Make sure that the client ID and client secret are valid and that the package is installed and enabled."
    )
}
