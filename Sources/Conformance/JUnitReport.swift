import Foundation

/// JUnit XML for CI systems: one test case per scenario, failures with their messages.
public enum JUnitReport {
    /// The JUnit XML document for `results`: one `<testcase>` per scenario (named by its file), a `<failure>` holding
    /// its failure messages when it did not pass, and times in seconds.
    public static func xml(_ results: [ScenarioResult], suite: String = "sfdest scenarios") -> String {
        let failures = results.filter { !$0.passed }.count
        let total = results.reduce(0) { $0 + $1.seconds }
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#]
        lines.append(#"<testsuites tests="\#(results.count)" failures="\#(failures)" time="\#(format(total))">"#)
        lines.append(
            #"  <testsuite name="\#(escape(suite))" tests="\#(results.count)" failures="\#(failures)" time="\#(format(total))">"#
        )
        for result in results {
            let open =
                #"    <testcase classname="scenarios" name="\#(escape(result.name))" file="\#(escape(result.file))" time="\#(format(result.seconds))""#
            if result.passed {
                lines.append(open + "/>")
            } else {
                lines.append(open + ">")
                let message = result.failures.first.map { String($0.split(separator: "\n").first ?? "") } ?? "failed"
                lines.append(
                    #"      <failure message="\#(escape(message))">\#(escape(result.failures.joined(separator: "\n\n")))</failure>"#
                )
                lines.append("    </testcase>")
            }
        }
        lines.append("  </testsuite>")
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }

    static func escape(_ text: String) -> String {
        var output = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&apos;"
            default:
                // XML 1.0 has no place for most control characters.
                if character.value < 0x20, character != "\n", character != "\t", character != "\r" { continue }
                output.unicodeScalars.append(character)
            }
        }
        return output
    }
}
