/// Which requests a fault rule or a latency rule applies to: a method (nil: any) and a path, exact or a prefix
/// ending in `*` (nil: any). One definition, so both kinds of rule read `path` the same way.
struct RequestPattern: Sendable, Equatable {
    var method: String?
    var path: String?

    func matches(method: String, path: String) -> Bool {
        if let wanted = self.method, wanted != method { return false }
        guard let pattern = self.path else { return true }
        if pattern.hasSuffix("*") { return path.hasPrefix(pattern.dropLast()) }
        return pattern == path
    }
}
