import Foundation
import Testing

/// A suite trait for tests that block their thread: they wait for a subprocess, poll with `Thread.sleep`, or read a
/// blocking socket. Each test of the suite runs on ``BlockingTestThreads`` instead of Swift's cooperative pool.
///
/// Why: Swift Testing runs every test on the cooperative pool, which has one thread per core (two on our CI
/// machines). Two blocking tests hold both threads, and every task of the process waits behind them, including
/// async-http-client's deadline, which fires on a NIO thread but cancels through an actor. In one CI run a 1 s timeout
/// was not delivered for 30 s. Blocking tests on threads of their own leave the pool to async work.
public struct OnBlockingThreads: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(BlockingTestThreads.shared) { try await function() }
    }
}

extension Trait where Self == OnBlockingThreads {
    /// Runs each test of the suite on ``BlockingTestThreads``, off Swift's cooperative pool.
    public static var onBlockingThreads: Self { OnBlockingThreads() }
}

/// A fixed set of threads that run the jobs of blocking tests, first come first served. Four threads: twice the cores
/// of a CI machine, so subprocess tests overlap their waits, but not so many that forty `sfdest` processes start at
/// once and miss the deadlines their tests set. A test must not block waiting for a task that it started itself
/// (that task inherits these threads); none does.
public final class BlockingTestThreads: TaskExecutor, @unchecked Sendable {
    public static let shared = BlockingTestThreads(count: 4)

    // `waiting` is guarded by `condition`.
    private let condition = NSCondition()
    private var waiting: [UnownedJob] = []

    private init(count: Int) {
        for index in 0..<count {
            let thread = Thread { [unowned self] in runJobs() }
            thread.name = "blocking-test-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        waiting.append(job)
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while true {
            condition.lock()
            while waiting.isEmpty { condition.wait() }
            let job = waiting.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
