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
        guard var value = headers["Authorization"] else { return nil }
        return value.withUTF8 { bytes -> String? in
            let scheme = "bearer "
            let schemeCount = 7
            guard bytes.count > schemeCount else { return nil }
            var index = 0
            for expected in scheme.utf8 {
                let byte = bytes[index]
                let lower = (byte >= 65 && byte <= 90) ? byte + 32 : byte
                guard lower == expected else { return nil }
                index += 1
            }
            var end = bytes.count
            while index < end, bytes[index] == 0x20 { index += 1 }
            while end > index, bytes[end - 1] == 0x20 { end -= 1 }
            guard index < end else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
        }
    }
}
