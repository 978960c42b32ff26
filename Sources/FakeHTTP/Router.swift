/// Maps a method and path to a handler. Patterns are `/`-separated segments: a literal (`prospects`),
/// a parameter (`{id}`), or a literal prefix followed by a parameter (`key:{key}`).
/// Routes are tried in the order they were added, so add the more specific pattern first.
///
/// Matching runs on every request, so it is `@inlinable` (specialised in the caller's module instead of
/// running as unspecialised generic code) and answers all-literal paths from a dictionary.
public struct Router<Handler: Sendable>: Sendable {
    /// The outcome of a lookup.
    public enum Match {
        /// A route matched; `parameters` holds the values of its `{name}` segments.
        case found(Handler, parameters: [String: String])
        /// The path exists but not for this method; `allowed` lists the methods it has.
        case methodNotAllowed(allowed: [String])
        /// No route has this path.
        case notFound
    }

    @usableFromInline
    enum Segment: Sendable {
        case literal(String)
        case parameter(name: String, prefix: String)
    }

    @usableFromInline
    struct Route: Sendable {
        @usableFromInline let method: String
        @usableFromInline let segments: [Segment]
        @usableFromInline let handler: Handler
        @usableFromInline let isLiteral: Bool
    }

    @usableFromInline var routes: [Route] = []
    /// Routes whose every segment is literal, by normalised path (`/a/b`).
    @usableFromInline var literalRoutes: [String: [Route]] = [:]

    /// Creates an empty router.
    public init() {}

    /// Adds a route.
    public mutating func add(_ method: String, _ pattern: String, _ handler: Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part -> Segment in
            if let open = part.firstIndex(of: "{"), part.last == "}" {
                let name = part[part.index(after: open)..<part.index(before: part.endIndex)]
                return .parameter(name: String(name), prefix: String(part[..<open]))
            }
            return .literal(String(part))
        }
        let isLiteral = segments.allSatisfy { if case .literal = $0 { return true } else { return false } }
        let route = Route(method: method, segments: segments, handler: handler, isLiteral: isLiteral)
        routes.append(route)
        if isLiteral {
            literalRoutes["/" + segments.map { if case .literal(let text) = $0 { return text } else { return "" } }.joined(separator: "/"), default: []]
                .append(route)
        }
    }

    /// Finds the route for a request.
    @inlinable
    public func match(method: String, path: String) -> Match {
        var allowed: [String] = []
        if let candidates = literalRoutes[path] {
            for route in candidates {
                if route.method == method { return .found(route.handler, parameters: [:]) }
                allowed.append(route.method)
            }
        }
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        for route in routes where !route.isLiteral {
            guard let parameters = Self.bind(route.segments, to: parts) else { continue }
            if route.method == method { return .found(route.handler, parameters: parameters) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if allowed.isEmpty {
            // A literal route written with a trailing or doubled slash still matches.
            let normalised = "/" + parts.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
            if normalised != path, let candidates = literalRoutes[normalised] {
                for route in candidates {
                    if route.method == method { return .found(route.handler, parameters: [:]) }
                    allowed.append(route.method)
                }
            }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    @inlinable
    static func bind(_ segments: [Segment], to parts: [Substring.UTF8View]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for index in 0..<segments.count {
            let part = parts[index]
            switch segments[index] {
            case .literal(let literal):
                guard part.elementsEqual(literal.utf8) else { return nil }
            case .parameter(let name, let prefix):
                let prefixCount = prefix.utf8.count
                guard part.count > prefixCount, part.starts(with: prefix.utf8) else { return nil }
                parameters[name] = String(decoding: part.dropFirst(prefixCount), as: UTF8.self)
            }
        }
        return parameters
    }
}
