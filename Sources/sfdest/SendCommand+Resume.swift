import SalesforceDestinations

/// What `sfdest send` tells an operator whose run did not finish: how to continue it.
extension SendCommand {
    /// How to continue a run that did not finish.
    func resumeAdvice(_ what: String, after stop: DeliveryStop?) -> String {
        guard checkpoint != nil else {
            return
                "\(what): the lines not attempted were not sent. Pass --checkpoint FILE next time to be able to resume."
        }
        guard let command = resumeCommand(after: stop) else {
            return "\(what): the input is not the one the checkpoint was written for, so --resume cannot continue it."
        }
        return "\(what): to continue where it stopped, run:\n  " + command
    }

    /// The command that continues this run, as the operator ran it (the same `sfdest` path), or nil without a
    /// checkpoint, or when the run stopped because its input is not the checkpoint's (resuming again would fail
    /// the same way).
    func resumeCommand(after stop: DeliveryStop?) -> String? {
        guard let checkpoint, stop?.code != .checkpoint else { return nil }
        let program = CommandLine.arguments.first.map { $0.isEmpty ? "sfdest" : $0 } ?? "sfdest"
        var arguments = [
            program, "send", "--config", org.config, "--input", input, "--checkpoint", checkpoint, "--resume",
        ]
        if let rejects { arguments += ["--rejects", rejects] }
        if let report { arguments += ["--report", report] }
        if let summary { arguments += ["--summary", summary] }
        return arguments.map(Self.shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ argument: String) -> String {
        argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@".contains($0) }
            ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
