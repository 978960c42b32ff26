import Testing

@testable import FakeHTTP

@Suite struct MessageFramingTests {
    /// RFC 9110 §5.6.2: tchar is `!#$%&'*+-.^_`|~`, digits and letters; every other byte is not, including every
    /// byte above 0x7F. Held against the RFC's own list for all 256 bytes, so the table-shaped check cannot drift.
    @Test func tokenCharactersAreExactlyTheRFCsTchars() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            let text = String(decoding: [UInt8(ascii: "a"), byte], as: UTF8.self)
            // A byte above 0x7F alone is not valid UTF-8 and decodes to U+FFFD, which is not a tchar either.
            #expect(MessageFraming.isToken(text) == tchars.contains(byte), "byte \(byte)")
        }
        #expect(!MessageFraming.isToken(""))
    }
}
