import Foundation

/// One at a time for the tests that hold thousands of sockets in this process: the 10,000-client test of
/// `sfdest fake` (10,000 descriptors here) and the in-process server's tests (up to 6,000, both ends). Every test
/// target runs in one process, with one open-file limit (20,000 here) and, on CI, two cores. In a clean-clone CI
/// run on 2026-12-08 they overlapped with the rest of the suite and a token call in an ordinary test was reset
/// (`connectionReset`, 18 s into the run); locally the suite's peak was 11,105 descriptors and the failure did not
/// repeat in five runs, so whether the open-file limit or two cores starved of the servers' threads was the cause
/// is not known. Never running two of these at once halves both. Held for the whole test; ordinary tests use a
/// few descriptors each and do not take it.
public enum ManySockets {
    private static let lock = NSLock()

    /// Runs `body` while no other many-socket test runs. For synchronous tests (on blocking threads).
    public static func exclusively<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
