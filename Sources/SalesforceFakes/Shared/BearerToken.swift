import FakeHTTP

/// `Authorization: Bearer <token>`, as both Salesforce APIs take it.
enum BearerToken {
    /// The token of `Authorization: Bearer <token>`; nil when absent or of another scheme.
    static func parse(_ headers: HTTPHeaders) -> String? {
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
