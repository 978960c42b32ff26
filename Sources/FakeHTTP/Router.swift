/// Maps a method and path to a handler. Patterns are `/`-separated segments: a literal (`prospects`),
/// a parameter (`{id}`), or a literal prefix followed by a parameter (`key:{key}`).
/// Routes are tried in the order they were added, so add the more specific pattern first.
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

    private enum Segment: Sendable {
        case literal(Substring)
        case parameter(name: String, prefix: Substring)
    }

    private struct Route: Sendable {
        let method: String
        let segments: [Segment]
        let handler: Handler
    }

    private var routes: [Route] = []

    /// Creates an empty router.
    public init() {}

    /// Adds a route.
    public mutating func add(_ method: String, _ pattern: String, _ handler: Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part -> Segment in
            if let open = part.firstIndex(of: "{"), part.last == "}" {
                let name = part[part.index(after: open)..<part.index(before: part.endIndex)]
                return .parameter(name: String(name), prefix: part[..<open])
            }
            return .literal(part)
        }
        routes.append(Route(method: method, segments: segments, handler: handler))
    }

    /// Finds the route for a request.
    public func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.bind(route.segments, to: parts) else { continue }
            if route.method == method { return .found(route.handler, parameters: parameters) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    private static func bind(_ segments: [Segment], to parts: [Substring]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                guard literal == part else { return nil }
            case .parameter(let name, let prefix):
                guard part.hasPrefix(prefix), part.count > prefix.count else { return nil }
                parameters[name] = String(part.dropFirst(prefix.count))
            }
        }
        return parameters
    }
}
