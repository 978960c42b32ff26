import Dispatch
import Foundation
import SalesforceDestinations

/// SIGINT and SIGTERM for `sfdest send`: the first asks the run to stop cleanly (see ``RunInterruption``), a
/// second stops the process at once with status 128 + signal (the checkpoint is safe against that too).
final class InterruptHandling {
    private let sources: [any DispatchSourceSignal]

    init(interruption: RunInterruption, output: StandardErrorSink) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let name = number == SIGINT ? "SIGINT" : "SIGTERM"
                if interruption.request(signal: number) {
                    output.writeLine(
                        "\(name): stopping: no new requests; those in flight get up to \(Int(interruption.drainSeconds)) s. Send it again to stop at once."
                    )
                } else {
                    output.writeLine("\(name) again: stopping now; the checkpoint holds every outcome written so far.")
                    _exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Restores the default actions.
    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
