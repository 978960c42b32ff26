import FakeHTTP
import JSONCore

/// An Account Engagement v5 error: `{"code": N, "message": "…"}` with an HTTP status.
/// Codes and texts follow pardot/api-docs `error-codes-messages.md` and the v5 error list
/// (see docs/reference/salesforce-apis.md §A5–A6); where the reference marks a status INFERRED, so does the comment.
struct AccountEngagementAPIError: Error, Sendable {
    var status: Int
    var code: Int
    var message: String

    init(status: Int, code: Int, message: String, detail: String? = nil, appendDetail: Bool = true) {
        self.status = status
        self.code = code
        self.message = detail.map { appendDetail ? "\(message): \($0)" : message } ?? message
    }

    var response: HTTPResponse {
        .bytes(
            JSONWriter.bytes(["code": .integer(code), "message": .string(message)]), status: status,
            contentType: "application/json")
    }

    static let invalidToken = AccountEngagementAPIError(
        status: 401, code: 184, message: "access_token is invalid, unknown, or malformed")
    /// A token Salesforce issued to a connected app without the `pardot_api` scope. Pardot Authentication docs:
    /// "the "pardot_api" scope must be one of the selected OAuth scopes"; the answer's text is from a Trailblazer
    /// report (evidence/pardot/api-token-without-pardot-api-scope-184.json).
    static let invalidScope = AccountEngagementAPIError(
        status: 401, code: 184, message: "access_token is invalid, unknown, or malformed: Invalid scope")
    static let missingBusinessUnitHeader = AccountEngagementAPIError(
        status: 400, code: 181, message: "A required header is missing")
    // 400 for a malformed header value is INFERRED.
    static let invalidBusinessUnitHeader = AccountEngagementAPIError(
        status: 400, code: 182, message: "Invalid header value")
    // 403 as Segment's destination checks for it.
    static let unknownBusinessUnit = AccountEngagementAPIError(
        status: 403, code: 201,
        message: "Business Unit specified in Pardot-Business-Unit-Id header not found or inactive.")
    static let invalidMethod = AccountEngagementAPIError(status: 405, code: 60, message: "Invalid HTTP request method")
    static let notFound = AccountEngagementAPIError(status: 404, code: 192, message: "Object specified does not exist")
    static let invalidJSON = AccountEngagementAPIError(status: 400, code: 150, message: "Input needs to be valid JSON")
    static let unsupportedContentType = AccountEngagementAPIError(
        status: 400, code: 151, message: "Unsupported content-type")
    static let emptyBody = AccountEngagementAPIError(status: 400, code: 152, message: "Request body can't be empty")
    static let dailyLimit = AccountEngagementAPIError(status: 429, code: 122, message: "Daily API rate limit met")
    // The current error-codes table prints one space after "limit." (the 2020 v3 docs printed two).
    static let concurrencyLimitMessage =
        "You have exceeded your concurrent request limit. Please wait, before trying again"
    static let ipNotAllowed = "Client IP address/location must be activated before accessing API"
    static let deletedRecord = "Deleted records can't be updated. Please undelete before updating."
}

/// A Salesforce OAuth token-endpoint error: `{"error": "…", "error_description": "…"}`.
struct OAuthError: Error, Sendable {
    var status: Int
    var error: String
    var description: String

    /// The `{"error", "error_description"}` answer, in the encoding the request asked for.
    func response(_ format: TokenAnswerFormat = .json) -> HTTPResponse {
        format.encode([("error", error), ("error_description", description)], status: status)
    }
}
