import FakeHTTP

/// Header rules of the v5 API.
enum PardotRequestContext {
    /// Business unit ids are 18 characters starting `0Uv` (Salesforce's key prefix for them).
    static func isWellFormedBusinessUnitID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count == 18, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "U"),
            bytes[2] == UInt8(ascii: "v")
        else { return false }
        return bytes.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }

    /// The token of `Authorization: Bearer <token>`; nil when absent or of another scheme.
    static func bearerToken(_ headers: HTTPHeaders) -> String? {
        guard let value = headers["Authorization"] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: " ")
        return token.isEmpty ? nil : token
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in characters: Character) -> String {
        var result = self
        while result.first == characters { result = result.dropFirst() }
        while result.last == characters { result = result.dropLast() }
        return String(result)
    }
}
