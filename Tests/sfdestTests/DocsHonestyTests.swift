import Foundation
import Testing

@testable import sfdest

/// The documentation cannot drift from the CLI or from itself: every `sfdest …` command line shown in README.md
/// and docs/ parses (its subcommand and flags exist), and every relative link resolves (issue 27).
struct DocsHonestyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// README.md and every Markdown page under docs/ (the research notes included).
    static let pages: [String] = {
        var pages = ["README.md"]
        let docs = root.appendingPathComponent("docs").path
        if let walker = FileManager.default.enumerator(atPath: docs) {
            for case let path as String in walker where path.hasSuffix(".md") { pages.append("docs/" + path) }
        }
        return pages.sorted()
    }()

    /// A command line shown in a page: where it is, and its arguments after `sfdest`.
    struct CommandLine: CustomTestStringConvertible, Sendable {
        var location: String
        var arguments: [String]
        var testDescription: String { "\(location): sfdest \(arguments.joined(separator: " "))" }
    }

    static let commandLines: [CommandLine] = pages.flatMap { page in
        commands(in: (try? String(contentsOf: root.appendingPathComponent(page), encoding: .utf8)) ?? "", page: page)
    }

    /// The `sfdest` lines of a page's code blocks: continuation lines joined, `# comments`, environment assignments
    /// and the binary's path dropped, a synopsis's `[a | b]` read as its first choice.
    static func commands(in text: String, page: String) -> [CommandLine] {
        var found: [CommandLine] = []
        var inCode = false
        var pending: (line: Int, text: String)?
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                inCode.toggle()
                pending = nil
                continue
            }
            guard inCode else { continue }
            var current = pending.map { $0.text + " " + line.trimmingCharacters(in: .whitespaces) } ?? line
            let start = pending?.line ?? number + 1
            if current.hasSuffix("\\") {
                current.removeLast()
                pending = (start, current)
                continue
            }
            pending = nil
            guard let arguments = sfdestArguments(current) else { continue }
            found.append(CommandLine(location: "\(page):\(start)", arguments: arguments))
        }
        return found
    }

    static func sfdestArguments(_ line: String) -> [String]? {
        var words = shellWords(withoutComment(line))
        while let first = words.first, first.contains("="), !first.hasPrefix("-") { words.removeFirst() }
        guard let program = words.first,
            program == "sfdest" || program.hasSuffix("/sfdest") || program.hasSuffix("/sfdest-linux-x86_64")
        else { return nil }
        words.removeFirst()
        // A synopsis's optional parts: `[--resume | --fresh]` reads as `--resume`, `[--dry-run]` as `--dry-run`.
        var arguments: [String] = []
        var skipping = false
        for word in words {
            if word == "|" {
                skipping = true
                continue
            }
            if skipping {
                if word.hasSuffix("]") { skipping = false }
                continue
            }
            var cleaned = word
            if cleaned.hasPrefix("[") { cleaned.removeFirst() }
            if cleaned.hasSuffix("]") { cleaned.removeLast() }
            if ["&", "…", "...", ""].contains(cleaned) || cleaned.hasPrefix(">") || cleaned.hasPrefix("2>") {
                continue
            }
            if cleaned == "&&" || cleaned == "|" || cleaned == ";" { break }
            arguments.append(cleaned)
        }
        return arguments
    }

    static func withoutComment(_ line: String) -> String {
        guard let hash = line.range(of: " #") else { return line }
        return String(line[..<hash.lowerBound])
    }

    /// Words as a POSIX shell splits them (quotes kept together, not expanded).
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var inWord = false
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    @Test func thePagesShowCommandLines() {
        #expect(Self.commandLines.count >= 10, "\(Self.commandLines.count) command lines found")
    }

    @Test(arguments: commandLines)
    func everyCommandLineParses(_ command: CommandLine) {
        do {
            _ = try Sfdest.parseAsRoot(command.arguments)
        } catch {
            Issue.record(
                "\(command.location): `sfdest \(command.arguments.joined(separator: " "))` does not parse: \(Sfdest.message(for: error))"
            )
        }
    }

    /// The parser refuses what does not exist, so the test above can fail.
    @Test func aMisspeltFlagDoesNotParse() {
        #expect(throws: (any Error).self) { try Sfdest.parseAsRoot(["send", "--confg", "x.yaml"]) }
        #expect(throws: (any Error).self) { try Sfdest.parseAsRoot(["sendd"]) }
    }

    @Test(arguments: pages)
    func everyRelativeLinkResolves(_ page: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(page), encoding: .utf8)
        let folder = Self.root.appendingPathComponent(page).deletingLastPathComponent()
        var inCode = false
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inCode.toggle() }
            if inCode { continue }
            for match in line.matches(of: /\]\(([^)\s]+)\)/) {
                let target = String(match.1)
                if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("#")
                    || target.hasPrefix("mailto:")
                {
                    continue
                }
                let path = String(target.split(separator: "#", maxSplits: 1)[0])
                let resolved = folder.appendingPathComponent(path).standardizedFileURL.path
                #expect(
                    FileManager.default.fileExists(atPath: resolved),
                    "\(page):\(number + 1): the link \(target) goes nowhere (\(resolved))")
            }
        }
    }
}
