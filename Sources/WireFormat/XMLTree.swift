/// An XML document read into elements, for the SOAP bodies the Marketing Cloud fake answers.
///
/// Hand-written rather than Foundation's XMLParser (or XMLCoder, SWXMLHash, which sit on it): that parser is
/// FoundationXML, which links libxml2, and the release artefact must run on a machine without it (`make dist`).
/// What SOAP clients send is plain XML: elements, attributes, namespaces, character and entity references, CDATA,
/// comments and a declaration. A DOCTYPE is refused (no entity expansion, as SOAP 1.1 servers refuse it), and so is
/// nesting deeper than ``maxDepth``: bad input is an error, never a crash.
package struct XMLTree: Sendable, Equatable {
    /// One element: its name as written (`ns0:Objects`), the namespace its prefix resolves to, its attributes
    /// (names as written), its child elements and its text (concatenated, entities decoded).
    package struct Element: Sendable, Equatable {
        package var name: String
        package var namespace: String?
        package var attributes: [String: String]
        package var children: [Element]
        package var text: String

        /// The name without its prefix.
        package var localName: String { name.split(separator: ":", maxSplits: 1).last.map(String.init) ?? name }

        /// The first child with this local name.
        package func child(_ localName: String) -> Element? { children.first { $0.localName == localName } }

        /// Every child with this local name.
        package func children(_ localName: String) -> [Element] { children.filter { $0.localName == localName } }

        /// The `xsi:type` attribute without its prefix (`ns0:DataExtensionObject` → `DataExtensionObject`).
        package var xsiType: String? {
            guard let (_, value) = attributes.first(where: { $0.key == "type" || $0.key.hasSuffix(":type") }) else {
                return nil
            }
            return value.split(separator: ":", maxSplits: 1).last.map(String.init)
        }
    }

    package struct ParseError: Error, Equatable, CustomStringConvertible {
        package var offset: Int
        package var message: String
        package var description: String { "XML at byte \(offset): \(message)" }
    }

    package static let maxDepth = 64

    package var root: Element

    package init(_ bytes: [UInt8]) throws(ParseError) {
        var reader = Reader(bytes: bytes)
        root = try reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ message: String) -> ParseError { ParseError(offset: index, message: message) }

        /// Whether the bytes at `index` are `text`. A static string, compared in place: this is asked at every
        /// `<` of a document, and building an array per question made a 50-row SOAP call cost milliseconds.
        func peek(_ text: StaticString) -> Bool { matches(text, at: index) }

        private func matches(_ text: StaticString, at position: Int) -> Bool {
            text.withUTF8Buffer { utf8 in
                guard position + utf8.count <= bytes.count else { return false }
                for offset in 0..<utf8.count where bytes[position + offset] != utf8[offset] { return false }
                return true
            }
        }

        mutating func skip(past text: StaticString) throws(ParseError) {
            let length = text.utf8CodeUnitCount
            while index + length <= bytes.count {
                if matches(text, at: index) {
                    index += length
                    return
                }
                index += 1
            }
            throw fail("\(text) never comes")
        }

        static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

        mutating func skipSpace() {
            while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
        }

        /// Declaration, comments and processing instructions before the root, then the root, then only those.
        mutating func document() throws(ParseError) -> Element {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            var root: Element?
            while true {
                skipSpace()
                if index >= bytes.count { break }
                if peek("<?") {
                    try skip(past: "?>")
                } else if peek("<!--") {
                    try skip(past: "-->")
                } else if peek("<!") {
                    throw fail("a DOCTYPE or declaration is not accepted")
                } else if peek("<") {
                    guard root == nil else { throw fail("text after the root element") }
                    var scopes: [[String: String]] = []
                    root = try element(depth: 0, scopes: &scopes)
                } else {
                    throw fail("text outside the root element")
                }
            }
            guard let root else { throw fail("no root element") }
            return root
        }

        mutating func name() throws(ParseError) -> String {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if Self.isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/")
                    || byte == UInt8(ascii: "=")
                {
                    break
                }
                index += 1
            }
            guard index > start else { throw fail("a name was expected") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func element(depth: Int, scopes: inout [[String: String]]) throws(ParseError) -> Element {
            guard depth < XMLTree.maxDepth else { throw fail("elements nest deeper than \(XMLTree.maxDepth)") }
            index += 1  // <
            let name = try self.name()
            var attributes: [String: String] = [:]
            while true {
                skipSpace()
                guard index < bytes.count else { throw fail("the tag <\(name) is never closed") }
                if peek("/>") || peek(">") { break }
                let attribute = try self.name()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw fail("= expected") }
                index += 1
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x22 || bytes[index] == 0x27 else {
                    throw fail("a quoted attribute value was expected")
                }
                let quote = bytes[index]
                index += 1
                let start = index
                while index < bytes.count, bytes[index] != quote { index += 1 }
                guard index < bytes.count else { throw fail("an attribute value is never closed") }
                attributes[attribute] = try decode(bytes[start..<index])
                index += 1
            }
            var scope: [String: String] = [:]
            for (key, value) in attributes {
                if key == "xmlns" {
                    scope[""] = value
                } else if key.hasPrefix("xmlns:") {
                    scope[String(key.dropFirst(6))] = value
                }
            }
            scopes.append(scope)
            defer { scopes.removeLast() }
            // What comes before the first colon, empty or not (a name of ":" has an empty prefix: found by
            // `make fuzz`, Fuzz/regressions/xml/index-out-of-range-in-element, where splitting it trapped).
            let prefix = name.firstIndex(of: ":").map { String(name[..<$0]) } ?? ""
            let namespace = scopes.reversed().lazy.compactMap { $0[prefix] }.first
            var element = Element(name: name, namespace: namespace, attributes: attributes, children: [], text: "")
            if peek("/>") {
                index += 2
                return element
            }
            index += 1  // >
            var text: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fail("<\(name)> is never closed") }
                if bytes[index] != UInt8(ascii: "<") {
                    // Text: most bytes of a document, so asked first.
                    text.append(bytes[index])
                    index += 1
                } else if peek("</") {
                    index += 2
                    let closing = try self.name()
                    guard closing == name else { throw fail("</\(closing)> closes <\(name)>") }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw fail("> expected") }
                    index += 1
                    element.text = try decode(text[...])
                    return element
                } else if peek("<!--") {
                    try skip(past: "-->")
                } else if peek("<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    // CDATA is literal: escape what decode would read as a reference.
                    for byte in bytes[start..<index - 3] {
                        if byte == UInt8(ascii: "&") { text += Array("&amp;".utf8) } else { text.append(byte) }
                    }
                } else if peek("<?") {
                    try skip(past: "?>")
                } else if peek("<!") {
                    throw fail("a declaration inside an element is not accepted")
                } else {
                    element.children.append(try self.element(depth: depth + 1, scopes: &scopes))
                }
            }
        }

        /// Text with its references decoded: the five named entities and character references.
        func decode(_ raw: ArraySlice<UInt8>) throws(ParseError) -> String {
            guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
            var output: [UInt8] = []
            var position = raw.startIndex
            while position < raw.endIndex {
                let byte = raw[position]
                guard byte == UInt8(ascii: "&") else {
                    output.append(byte)
                    position += 1
                    continue
                }
                guard let end = raw[position...].firstIndex(of: UInt8(ascii: ";")), end - position <= 12 else {
                    throw fail("an & that starts no reference")
                }
                let reference = String(decoding: raw[(position + 1)..<end], as: UTF8.self)
                switch reference {
                case "lt": output.append(UInt8(ascii: "<"))
                case "gt": output.append(UInt8(ascii: ">"))
                case "amp": output.append(UInt8(ascii: "&"))
                case "quot": output.append(0x22)
                case "apos": output.append(0x27)
                default:
                    let number: UInt32?
                    if reference.hasPrefix("#x") || reference.hasPrefix("#X") {
                        number = UInt32(reference.dropFirst(2), radix: 16)
                    } else if reference.hasPrefix("#") {
                        number = UInt32(reference.dropFirst())
                    } else {
                        number = nil
                    }
                    guard let number, let scalar = Unicode.Scalar(number), number != 0 else {
                        throw fail("&\(reference); is not a reference XML defines")
                    }
                    output += Array(String(Character(scalar)).utf8)
                }
                position = end + 1
            }
            return String(decoding: output, as: UTF8.self)
        }
    }
}

/// Text escaped for XML content and attribute values.
package enum XMLEscaping {
    /// Works on Unicode scalars, not Characters: a `<` followed by a combining mark is one Character that is not
    /// equal to "<", and was written unescaped, making the document malformed (found by `make fuzz`,
    /// Fuzz/regressions/xml/escaped-text-reread).
    package static func escape(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.contains(where: { "<>&\"'".unicodeScalars.contains($0) }) else { return text }
        var output = String.UnicodeScalarView()
        output.reserveCapacity(scalars.count + 8)
        for scalar in scalars {
            switch scalar {
            case "<": output.append(contentsOf: "&lt;".unicodeScalars)
            case ">": output.append(contentsOf: "&gt;".unicodeScalars)
            case "&": output.append(contentsOf: "&amp;".unicodeScalars)
            case "\"": output.append(contentsOf: "&quot;".unicodeScalars)
            case "'": output.append(contentsOf: "&apos;".unicodeScalars)
            default: output.append(scalar)
            }
        }
        return String(output)
    }
}
