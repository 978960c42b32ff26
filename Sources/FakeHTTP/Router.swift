import TextDistance

/// Maps a method and path to a handler. Patterns are `/`-separated segments: a literal (`prospects`),
/// a parameter (`{id}`), or a literal prefix followed by a parameter (`key:{key}`).
/// Routes are tried in the order they were added, so add the more specific pattern first.
///
/// Paths arrive raw, as the client wrote them. They are split on `/` first and each segment is percent-decoded
/// after, so `key:abc%2Frowset` is one segment whose parameter reads `abc/rowset` (it never reaches a `/rowset`
/// route), and `%00` is a byte of a segment rather than the end of the path. A malformed escape matches nothing.
///
/// Matching runs on every request. It lives in ``RouteTable``, which is not generic, so it is compiled once,
/// optimised, in this module; `Router` only keeps the handlers. An earlier `@inlinable` generic matcher relied on
/// the caller's module to specialise it, and silently stopped being specialised when the type became `package`:
/// callgrind counted 18,000 more instructions per parameterised request (docs/benchmarks.md, 2026-11-30).
package struct Router<Handler: Sendable>: Sendable {
    /// The outcome of a lookup.
    package enum Match {
        /// A route matched; `parameters` holds the values of its `{name}` segments.
        case found(Handler, parameters: [String: String])
        /// The path exists but not for this method; `allowed` lists the methods it has.
        case methodNotAllowed(allowed: [String])
        /// No route has this path.
        case notFound
    }

    private var table = RouteTable()
    /// Handlers by route number, in the order added.
    private var handlers: [Handler] = []

    /// Creates an empty router.
    package init() {}

    /// Adds a route.
    package mutating func add(_ method: String, _ pattern: String, _ handler: Handler) {
        table.add(method, pattern, number: handlers.count)
        handlers.append(handler)
    }

    /// Finds the route for a request; `path` is raw (escapes not yet decoded).
    package func match(method: String, path: String) -> Match {
        switch table.match(method: method, path: path) {
        case .found(let number, let parameters): .found(handlers[number], parameters: parameters)
        case .methodNotAllowed(let allowed): .methodNotAllowed(allowed: allowed)
        case .notFound: .notFound
        }
    }

    /// Every route as `(method, pattern)`, in the order added.
    package var patterns: [(method: String, pattern: String)] { table.patterns }

    /// The known route nearest to a request no route answers, as `METHOD /pattern` (see
    /// ``RouteTable/closestRoute(method:path:)``).
    package func closestRoute(method: String, path: String) -> String? {
        table.closestRoute(method: method, path: path)
    }
}

/// Near-miss notes for a fake: the route nearest to a request nothing answered, among the router's routes and the
/// endpoints served beside it (a token endpoint); nil when the router answers the request or its path is one of those
/// endpoints. One home for what each fake built for itself. Asked only about 404s and 405s, never on the hot path.
package struct NearMissRoutes: Sendable {
    private var table = RouteTable()
    private let endpoints: Set<String>

    /// `endpoints`: `(method, path)` of what the fake serves outside `router` (the token endpoint).
    package init<Handler>(_ router: Router<Handler>, endpoints: [(method: String, path: String)]) {
        for (method, path) in endpoints { table.add(method, path, number: -1) }
        for (method, pattern) in router.patterns { table.add(method, pattern, number: 0) }
        self.endpoints = Set(endpoints.map(\.path))
    }

    /// `METHOD /pattern` of the nearest route, or nil (see ``RouteTable/closestRoute(method:path:)``).
    package func closestRoute(method: String, path: String) -> String? {
        if endpoints.contains(path) { return nil }
        if case .found = table.match(method: method, path: path) { return nil }
        return table.closestRoute(method: method, path: path)
    }
}

/// The routes of a ``Router`` without their handlers: patterns, and the matching that runs on every request.
package struct RouteTable: Sendable {
    /// The outcome of a lookup: the number of the route that matched, in the order added.
    package enum Match: Equatable {
        /// A route matched; `parameters` holds the values of its `{name}` segments.
        case found(Int, parameters: [String: String])
        /// The path exists but not for this method; `allowed` lists the methods it has.
        case methodNotAllowed(allowed: [String])
        /// No route has this path.
        case notFound
    }

    /// A pattern segment as matching reads it: a literal's text, or a parameter's literal prefix, as bytes (so a
    /// path's segment is compared byte for byte where it lies), and the parameter's name.
    private struct Segment: Sendable {
        let bytes: [UInt8]
        /// The parameter's name; nil for a literal segment.
        let parameter: String?
    }

    private struct Route: Sendable {
        let method: String
        let segments: [Segment]
        let number: Int
        /// The pattern as written to ``add(_:_:number:)``, for listings and near-miss notes.
        let pattern: String
    }

    private var routes: [Route] = []
    /// Routes whose every segment is literal, by normalised path (`/a/b`).
    private var literalRoutes: [String: [Route]] = [:]
    /// The other routes' positions in `routes`, in the order added, by segment count: a path binds only a route with
    /// as many segments, so a request tries those alone. Before, a Marketing Cloud rowset's path was split into
    /// substrings and tried against every parameterised route, about 16,000 instructions a request
    /// (docs/benchmarks.md, 2026-12-08).
    private var parameterisedBySegmentCount: [Int: [Int]] = [:]

    /// Creates an empty table.
    package init() {}

    /// Adds a route; `number` is what ``match(method:path:)`` answers when it matches.
    package mutating func add(_ method: String, _ pattern: String, number: Int) {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true)
        let segments = parts.map { part -> Segment in
            if let open = part.firstIndex(of: "{"), part.last == "}" {
                let name = part[part.index(after: open)..<part.index(before: part.endIndex)]
                return Segment(bytes: Array(part[..<open].utf8), parameter: String(name))
            }
            return Segment(bytes: Array(part.utf8), parameter: nil)
        }
        let route = Route(method: method, segments: segments, number: number, pattern: pattern)
        if segments.allSatisfy({ $0.parameter == nil }) {
            literalRoutes["/" + parts.joined(separator: "/"), default: []].append(route)
        } else {
            parameterisedBySegmentCount[segments.count, default: []].append(routes.count)
        }
        routes.append(route)
    }

    /// Finds the route for a request; `path` is raw (escapes not yet decoded).
    package func match(method: String, path: String) -> Match {
        var allowed: [String] = []
        if let candidates = literalRoutes[path] {
            for route in candidates {
                if route.method == method { return .found(route.number, parameters: [:]) }
                allowed.append(route.method)
            }
        }
        var contiguous = path
        return contiguous.withUTF8 { bytes in
            var parts: [Slice<UnsafeBufferPointer<UInt8>>] = []
            parts.reserveCapacity(8)
            var start = 0
            var hasEscape = false
            for index in 0...bytes.count {
                if index == bytes.count || bytes[index] == UInt8(ascii: "/") {
                    if index > start { parts.append(bytes[start..<index]) }
                    start = index + 1
                } else if bytes[index] == UInt8(ascii: "%") {
                    hasEscape = true
                }
            }
            // Decoding costs an allocation per segment, so only paths with an escape pay it.
            guard hasEscape else { return match(method: method, parts: parts, path: path, allowed: allowed) }
            var decoded: [[UInt8]] = []
            decoded.reserveCapacity(parts.count)
            for part in parts {
                guard let bytes = PercentDecoding.decode(part) else { return .notFound }
                decoded.append(bytes)
            }
            return match(method: method, parts: decoded, path: path, allowed: allowed)
        }
    }

    // Generic over the two shapes a path's segments come in (raw slices, decoded arrays); private, so the
    // optimiser specialises both uses here.
    private func match<Part: Collection>(method: String, parts: [Part], path: String, allowed: [String]) -> Match
    where Part.Element == UInt8 {
        var allowed = allowed
        for position in parameterisedBySegmentCount[parts.count] ?? [] {
            guard let parameters = Self.bind(routes[position].segments, to: parts) else { continue }
            let route = routes[position]
            if route.method == method { return .found(route.number, parameters: parameters) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if allowed.isEmpty {
            // A literal route written with a trailing or doubled slash, or with escaped letters, still matches.
            let normalised = "/" + parts.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
            if normalised != path, let candidates = literalRoutes[normalised] {
                for route in candidates {
                    if route.method == method { return .found(route.number, parameters: [:]) }
                    allowed.append(route.method)
                }
            }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// Every route as `(method, pattern)`, in the order added.
    package var patterns: [(method: String, pattern: String)] {
        routes.map { ($0.method, $0.pattern) }
    }

    /// The known route nearest to a request no route answers, as `METHOD /pattern`, for near-miss notes
    /// (WireMock's near misses, Hoverfly's closest miss). Distance: segment by segment, a literal costs its edit
    /// distance to the path's segment (a parameter costs nothing when its literal prefix matches), each missing or
    /// extra segment costs its length, and a different method costs 1. Runs only for unanswered requests.
    package func closestRoute(method: String, path: String) -> String? {
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { part in
            PercentDecoding.decode(part) ?? Array(part)
        }
        var best: (distance: Int, route: Route)?
        for route in routes {
            var distance = route.method == method ? 0 : 1
            for index in 0..<max(parts.count, route.segments.count) {
                let part = index < parts.count ? parts[index] : nil
                let segment = index < route.segments.count ? route.segments[index] : nil
                switch (part, segment) {
                case (let part?, let segment?) where segment.parameter == nil:
                    distance += EditDistance.between(part, segment.bytes)
                case (let part?, let segment?):
                    let prefix = segment.bytes
                    distance +=
                        part.starts(with: prefix) && part.count > prefix.count
                        ? 0 : EditDistance.between(Array(part.prefix(prefix.count)), prefix) + 1
                case (let part?, nil):
                    distance += part.count
                case (nil, let segment?):
                    distance += segment.bytes.count + (segment.parameter?.utf8.count ?? 0)
                case (nil, nil):
                    break
                }
            }
            if best == nil || distance < best!.distance { best = (distance, route) }
        }
        return best.map { "\($0.route.method) \($0.route.pattern)" }
    }

    private static func bind<Part: Collection>(_ segments: [Segment], to parts: [Part]) -> [String: String]?
    where Part.Element == UInt8 {
        guard segments.count == parts.count else { return nil }
        // The literals first, so a route that does not match allocates nothing.
        for index in 0..<segments.count where segments[index].parameter == nil {
            guard parts[index].elementsEqual(segments[index].bytes) else { return nil }
        }
        var parameters: [String: String] = [:]
        for index in 0..<segments.count {
            guard let name = segments[index].parameter else { continue }
            let part = parts[index]
            let prefix = segments[index].bytes
            guard part.count > prefix.count, part.starts(with: prefix) else { return nil }
            parameters[name] = String(decoding: part.dropFirst(prefix.count), as: UTF8.self)
        }
        return parameters
    }
}
