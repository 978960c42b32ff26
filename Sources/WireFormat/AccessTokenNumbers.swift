/// Access tokens and their numbers in `<access-token:N>`: a reader can tell which token each request used
/// without seeing one.
package struct AccessTokenNumbers: Sendable {
    private var numbers: [String: Int]
    /// Whether a token not seen before gets the next number (the client's view) or none (a fake's: it knows every
    /// token it issued, so one it did not issue is a forgery and has no place in the order).
    private let numbersNewTokens: Bool

    /// Tokens numbered by issue order, as a fake knows it; any other token reads `<access-token>`.
    package init(issued: [String: Int]) {
        numbers = issued
        numbersNewTokens = false
    }

    /// Tokens numbered in the order they are first seen, as a client (which only sees answers) can number them.
    package init() {
        numbers = [:]
        numbersNewTokens = true
    }

    /// The tokens numbered so far.
    package var known: [String: Int] { numbers }

    /// The placeholder that stands for `token`.
    package mutating func placeholder(for token: String) -> String {
        if let number = numbers[token] { return "<access-token:\(number)>" }
        guard numbersNewTokens else { return "<access-token>" }
        numbers[token] = numbers.count + 1
        return "<access-token:\(numbers.count)>"
    }
}
