/// Something a test opens and must close before it ends: a fake server, a transport, a temporary directory.
public protocol ScopedFixture: AnyObject, Sendable {
    func close() async
}

/// Runs `body` with `fixture` and closes the fixture before returning, whether `body` returns or throws, so that
/// a test's servers and connections never outlive it (a `defer { Task { … } }` closes them at some later time,
/// while other tests run).
public func withFixture<Fixture: ScopedFixture, Result>(
    _ fixture: Fixture, _ body: (Fixture) async throws -> Result
) async throws -> Result {
    let result: Result
    do {
        result = try await body(fixture)
    } catch {
        await fixture.close()
        throw error
    }
    await fixture.close()
    return result
}
