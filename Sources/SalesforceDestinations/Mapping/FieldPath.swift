import JSONCore

/// A path into a JSON record: `person.name.firstName`, `identityMap.Email[0].id`, `traits["first.name"]`.
///
/// Member names are separated by dots; `[N]` indexes an array; `["…"]` names a member that contains dots,
/// brackets or spaces. A missing member or index evaluates to nil (the mapping then uses its default).
package struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    /// One step of a path.
    package enum Step: Sendable, Hashable {
        case member(String)
        case index(Int)
    }

    /// The steps, first to last.
    package let steps: [Step]
    /// The text the path was parsed from.
    package let description: String

    /// Parses a path; the error says at which character it went wrong.
    package init(_ text: String) throws(FieldPathError) {
        description = text
        var steps: [Step] = []
        let characters = Array(text)
        var index = 0
        var name = ""
        func fail(_ message: String) -> FieldPathError { FieldPathError(path: text, position: index, message: message) }
        func flushName() throws(FieldPathError) {
            guard !name.isEmpty else { throw fail("expected a member name") }
            steps.append(.member(name))
            name = ""
        }
        guard !characters.isEmpty else { throw fail("the path is empty") }
        while index < characters.count {
            let character = characters[index]
            switch character {
            case ".":
                if name.isEmpty, case .index? = steps.last {
                    index += 1
                    continue
                }
                if name.isEmpty, index > 0, characters[index - 1] == "]" {
                    index += 1
                    continue
                }
                try flushName()
                index += 1
            case "[":
                if !name.isEmpty { try flushName() }
                index += 1
                guard index < characters.count else { throw fail("unclosed [") }
                if characters[index] == "\"" {
                    index += 1
                    var quoted = ""
                    while index < characters.count, characters[index] != "\"" {
                        quoted.append(characters[index])
                        index += 1
                    }
                    guard index + 1 < characters.count, characters[index + 1] == "]" else {
                        throw fail("expected \"] after a quoted name")
                    }
                    guard !quoted.isEmpty else { throw fail("empty quoted name") }
                    steps.append(.member(quoted))
                    index += 2
                } else {
                    var digits = ""
                    while index < characters.count, characters[index].isASCII, characters[index].isNumber {
                        digits.append(characters[index])
                        index += 1
                    }
                    guard index < characters.count, characters[index] == "]", let number = Int(digits) else {
                        throw fail("expected an array index such as [0] or a quoted name such as [\"a.b\"]")
                    }
                    steps.append(.index(number))
                    index += 1
                }
            case "]":
                throw fail("unexpected ]")
            default:
                name.append(character)
                index += 1
            }
        }
        if !name.isEmpty { try flushName() }
        if characters.last == "." { throw fail("the path ends with a dot") }
        self.steps = steps
    }

    /// The value at this path, or nil when a member or index is missing or the shape differs.
    package func value(in record: JSONValue) -> JSONValue? {
        var current = record
        for step in steps {
            switch step {
            case .member(let name):
                guard let next = current[name] else { return nil }
                current = next
            case .index(let position):
                guard let array = current.arrayValue, position < array.count else { return nil }
                current = array[position]
            }
        }
        return current
    }
}

/// A path that cannot be parsed.
package struct FieldPathError: Error, Sendable, CustomStringConvertible {
    /// The path text.
    package var path: String
    /// The character index where parsing failed.
    package var position: Int
    /// What was expected.
    package var message: String

    package var description: String { "invalid path \"\(path)\" at character \(position + 1): \(message)" }
}
