import JSONCore

/// One line of a preflight: what was checked, how it came out, and what to do about it.
package struct PreflightCheck: Sendable, Equatable {
    package enum Status: String, Sendable, CaseIterable {
        /// The org has what the config needs.
        case ok
        /// Sending would fail for this reason.
        case fail
        /// Sending may work, but the preflight could not confirm it (say why).
        case warn
        /// Not checkable before records arrive (a per-record route, a spread), or not checked after a failure.
        case skipped
    }

    /// What was checked: `credentials`, `scope data_extensions_write`, `custom field Favorite__c`.
    package var target: String
    package var status: Status
    /// What the org answered, in a sentence.
    package var detail: String
    /// What to change, when something must change.
    package var fix: String

    package init(target: String, status: Status, detail: String, fix: String = "") {
        self.target = target
        self.status = status
        self.detail = detail
        self.fix = fix
    }

    package var json: JSONValue {
        ["target": .string(target), "status": .string(status.rawValue), "detail": .string(detail), "fix": .string(fix)]
    }
}

/// Everything a preflight found.
package struct PreflightReport: Sendable, Equatable {
    package var checks: [PreflightCheck]

    package init(checks: [PreflightCheck] = []) {
        self.checks = checks
    }

    /// True when nothing failed (warnings and skips do not block a send).
    package var passed: Bool { !checks.contains { $0.status == .fail } }

    package func count(_ status: PreflightCheck.Status) -> Int { checks.filter { $0.status == status }.count }

    package var json: JSONValue {
        [
            "passed": .bool(passed), "checks": .array(checks.map(\.json)),
            "counts": .object(
                Dictionary(
                    uniqueKeysWithValues: PreflightCheck.Status.allCases.map {
                        ($0.rawValue, JSONValue.integer(count($0)))
                    })),
        ]
    }

    /// A plain-text table, `TARGET  STATUS  DETAIL / FIX`, one check per row; details and fixes on their own
    /// indented lines, so that long ones stay readable in a terminal and in CI logs.
    package var table: String {
        let width = min(64, max(6, checks.map(\.target.count).max() ?? 6))
        func pad(_ text: String, _ count: Int) -> String {
            text.count >= count ? text : text + String(repeating: " ", count: count - text.count)
        }
        var lines = ["\(pad("TARGET", width))  STATUS   DETAIL"]
        for check in checks {
            lines.append("\(pad(check.target, width))  \(pad(check.status.rawValue.uppercased(), 7))  \(check.detail)")
            if !check.fix.isEmpty { lines.append("\(String(repeating: " ", count: width + 11))fix: \(check.fix)") }
        }
        let verdict = passed ? "preflight passed" : "preflight FAILED"
        lines.append("")
        lines.append(
            "\(verdict): \(count(.ok)) ok, \(count(.fail)) failed, \(count(.warn)) warnings, \(count(.skipped)) skipped"
        )
        return lines.joined(separator: "\n") + "\n"
    }
}
