// Not swift-http-types' HTTPFields, which the client uses: a fake must journal and answer every request as it
// arrived, and HTTPFields refuses what a bad request can carry (`HTTPField.Name.init?` is nil for a name that is
// not a token, control characters in a value are replaced, 65,535 fields trap). It also validates and lowercases
// every name as it is added, for every field of every request; this type keeps the strings libmicrohttpd hands
// over and compares bytes only when a field is looked up, which the fakes do for a handful of names.
/// An ordered list of HTTP header fields with case-insensitive lookup.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One header field as it arrived or will be sent.
    public struct Field: Sendable, Hashable {
        /// The field name, as written by the sender.
        public var name: String
        /// The field value.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Creates headers from fields.
    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// Creates headers from name/value pairs.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// The value of the first field with this name, compared case-insensitively.
    public subscript(name: String) -> String? {
        for field in fields where field.name.utf8.count == name.utf8.count {
            if field.name.caseInsensitiveEquals(name) { return field.value }
        }
        return nil
    }

    /// Appends a field, keeping any earlier field of the same name.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Sets the value of the first field of this name (keeping its position), or appends the field.
    public mutating func replaceOrAdd(name: String, value: String) {
        if let index = fields.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) {
            fields[index].value = value
        } else {
            fields.append(Field(name: name, value: value))
        }
    }

    /// Whether there are no fields.
    public var isEmpty: Bool { fields.isEmpty }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}

extension String {
    /// ASCII case-insensitive comparison, which is what HTTP field names need (RFC 9110 §5.1).
    /// Runs on contiguous bytes: header lookups happen several times per request.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        var left = self
        var right = other
        return left.withUTF8 { a in
            right.withUTF8 { b in
                guard a.count == b.count else { return false }
                for index in 0..<a.count where a[index] != b[index] {
                    let lowerA = (a[index] >= 65 && a[index] <= 90) ? a[index] + 32 : a[index]
                    let lowerB = (b[index] >= 65 && b[index] <= 90) ? b[index] + 32 : b[index]
                    if lowerA != lowerB { return false }
                }
                return true
            }
        }
    }
}
