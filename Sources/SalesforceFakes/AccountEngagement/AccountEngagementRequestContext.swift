import FakeHTTP

/// Header rules of the v5 API.
enum AccountEngagementRequestContext {
    /// Business unit ids are 18 characters starting `0Uv` (Salesforce's key prefix for them).
    static func isWellFormedBusinessUnitID(_ id: String) -> Bool {
        // Read in place: a copy into an array was 700 instructions of every call (docs/benchmarks.md, 2026-12-08).
        var id = id
        return id.withUTF8 { bytes in
            guard bytes.count == 18, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "U"),
                bytes[2] == UInt8(ascii: "v")
            else { return false }
            return bytes.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
        }
    }
}
