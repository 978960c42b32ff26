/// `Authorization: Bearer <token>`, as both Salesforce APIs take it: read by the fakes to authenticate a request
/// and by ``SecretMasker`` to hide the token, so both agree on what a bearer token is.
package enum BearerToken {
    /// The token of a `Bearer <token>` value (scheme case-insensitive, spaces around the token ignored); nil for
    /// another scheme or an empty token.
    /// Runs on contiguous bytes: the fakes read it on every API request.
    package static func parse(_ value: String) -> String? {
        var value = value
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
