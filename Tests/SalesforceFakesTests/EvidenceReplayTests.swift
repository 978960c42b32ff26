import FakeHTTP
import Foundation
import JSONCore
import SalesforceFakes
import Testing
import WireFormat

@testable import SalesforceFakes

/// Replays every fixture under `evidence/` against a fresh fake and checks the documented parts of each answer
/// (format: evidence/README.md). Each fixture names the Salesforce doc page or client code it follows, so a
/// failure here means the fake has drifted from outside evidence, not from our own expectations.
struct EvidenceReplayTests {
    static let evidenceFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("evidence")

    /// `folder/name.json` of every fixture, sorted.
    static let fixtures: [String] = {
        let manager = FileManager.default
        guard let folders = try? manager.contentsOfDirectory(atPath: evidenceFolder.path) else { return [] }
        var names: [String] = []
        for folder in folders.sorted() {
            var isDirectory: ObjCBool = false
            let path = evidenceFolder.appendingPathComponent(folder).path
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            for file in ((try? manager.contentsOfDirectory(atPath: path)) ?? []).sorted() where file.hasSuffix(".json")
            {
                names.append("\(folder)/\(file)")
            }
        }
        return names
    }()

    @Test func everyFolderHasFixtures() {
        for folder in ["pardot", "salesforce-oauth", "marketing-cloud"] {
            #expect(Self.fixtures.contains { $0.hasPrefix(folder + "/") }, "no evidence fixture in evidence/\(folder)")
        }
    }

    @Test(arguments: fixtures)
    func fixtureHolds(_ name: String) throws {
        let data = try Data(contentsOf: Self.evidenceFolder.appendingPathComponent(name))
        let fixture = try JSONParser.parse(Array(data))
        let problems = try EvidenceReplay(fixture: fixture).run()
        #expect(
            problems.isEmpty,
            "\(name) (\(fixture["source"]?["title"]?.stringValue ?? "no source")):\n\(problems.joined(separator: "\n"))"
        )
    }

    @Test func fixturesNameTheirSource() throws {
        for name in Self.fixtures {
            let fixture = try JSONParser.parse(
                Array(try Data(contentsOf: Self.evidenceFolder.appendingPathComponent(name))))
            let missing = ["title", "url", "kind", "retrieved", "excerpt"].filter {
                (fixture["source"]?[$0]?.stringValue ?? "").isEmpty
            }
            #expect(missing.isEmpty, "\(name): source lacks \(missing)")
            let fact = fixture["fact"]?.stringValue ?? ""
            #expect(fact.count > 10, "\(name): fact is missing")
        }
    }

    /// The matcher itself must be able to fail.
    @Test func matcherRefusesWhatDiffers() {
        var problems: [String] = []
        EvidenceReplay.match(["a": 1, "b": ["c": "x"]], ["a": 2, "b": ["c": "x"]], path: "", into: &problems)
        EvidenceReplay.match(["items": [1, 2]], ["items": [1]], path: "", into: &problems)
        EvidenceReplay.match("<integer>", "1", path: "n", into: &problems)
        EvidenceReplay.match("<prefix:abc>", "abd", path: "p", into: &problems)
        #expect(problems.count == 4, "\(problems)")
        var none: [String] = []
        EvidenceReplay.match(
            ["a": "<any>", "b": "<prefix:ab>", "c": "<number>"], ["a": nil, "b": "abc", "c": 1.5, "d": 1], path: "",
            into: &none)
        #expect(none.isEmpty, "\(none)")
        #expect(
            EvidenceReplay.values(at: "items[*].itemIndex", in: ["items": [["itemIndex": 1], ["x": 1]]]).count == 1)
        var xml: [String] = []
        let answer = Array(
            "<e:Envelope xmlns:e='urn:e' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'><e:Body><R xsi:type='U'><A>2</A><C/></R></e:Body></e:Envelope>"
                .utf8)
        EvidenceReplay.checkXML(
            ["Body/R/A": "1", "Body/R/@type": "T", "Body/R/*": ["A"], "Body/R/B": "<present>", "Body/R/C": "<absent>"],
            answer, into: &xml)
        #expect(xml.count == 5, "\(xml)")
        var fine: [String] = []
        EvidenceReplay.checkXML(
            ["Body/R/A": "2", "Body/R/@type": "U", "Body/R/*": ["A", "C"], "Body/R/B": "<absent>"], answer, into: &fine)
        #expect(fine.isEmpty, "\(fine)")
    }
}

/// One fixture against one fresh fake.
struct EvidenceReplay {
    let fixture: JSONValue

    func run() throws -> [String] {
        let server: FakeServer
        switch fixture["fake"]?.stringValue {
        case "pardot"?: server = try AccountEngagementFake.start()
        case "marketing-cloud"?: server = try MarketingCloudFake.start()
        default: return ["fake must be \"pardot\" or \"marketing-cloud\""]
        }
        defer { server.stop() }
        if let seed = fixture["seed"] { try server.service.replaceState(with: seed) }
        if case .object(let settings)? = fixture["settings"] {
            guard case .object(var state) = server.service.exportState() else { return ["state is not an object"] }
            var merged = state["settings"]?.objectValue ?? [:]
            merged.merge(settings) { $1 }
            state["settings"] = .object(merged)
            try server.service.replaceState(with: .object(state))
        }
        var variables: [String: String] = ["bu": "0Uv000000000001AAA"]
        var problems: [String] = []
        for (position, step) in (fixture["steps"]?.arrayValue ?? []).enumerated() {
            if let seconds = step["advanceSeconds"]?.doubleValue {
                server.control.advanceClock(by: seconds)
                continue
            }
            guard let requestSpec = step["request"] else {
                problems.append("step \(position): no request")
                continue
            }
            if JSONWriter.string(requestSpec).contains("{{token}}"), variables["token"] == nil {
                variables["token"] = try Self.token(server, fake: fixture["fake"]?.stringValue ?? "")
            }
            let request = try Self.request(requestSpec, variables: variables)
            let response = server.respond(to: request)
            // As the server does once the answer is sent (a request's concurrency slot is given back then).
            response.onComplete?()
            let body = try? JSONParser.parse(response.body)
            var stepProblems: [String] = []
            if let expected = step["expect"] {
                Self.check(expected, response: response, body: body, into: &stepProblems)
            }
            if case .object(let captures)? = step["capture"] {
                for (variable, path) in captures {
                    guard let value = Self.values(at: path.stringValue ?? "", in: body ?? .null).first,
                        value.stringValue != nil || value.intValue != nil
                    else {
                        stepProblems.append("capture \(variable): nothing at \(path.stringValue ?? "")")
                        continue
                    }
                    variables[variable] = value.stringValue ?? value.intValue.map(String.init)
                }
            }
            problems += stepProblems.map {
                "step \(position) \(request.method) \(request.path): \($0)\n    answer \(response.status): \(String(decoding: response.body.prefix(600), as: UTF8.self))"
            }
        }
        return problems
    }

    // MARK: Requests

    static func token(_ server: FakeServer, fake: String) throws -> String {
        let request: HTTPRequest
        if fake == "pardot" {
            request = HTTPRequest(
                method: "POST", path: "/services/oauth2/token",
                headers: ["Content-Type": "application/x-www-form-urlencoded"],
                body: Array(
                    "grant_type=password&client_id=fake-client-id&client_secret=fake-client-secret&username=user%40example.com&password=fake-password"
                        .utf8))
        } else {
            request = HTTPRequest(
                method: "POST", path: "/v2/token", headers: ["Content-Type": "application/json"],
                body: JSONWriter.bytes([
                    "grant_type": "client_credentials", "client_id": "fake-client-id",
                    "client_secret": "fake-client-secret",
                ]))
        }
        let response = server.respond(to: request)
        guard let token = (try? JSONParser.parse(response.body))?["access_token"]?.stringValue else {
            throw EvidenceError(
                "no token for {{token}}: \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return token
    }

    static func substitute(_ text: String, _ variables: [String: String]) -> String {
        var result = text
        for (name, value) in variables { result = result.replacingOccurrences(of: "{{\(name)}}", with: value) }
        return result
    }

    static func substitute(_ value: JSONValue, _ variables: [String: String]) -> JSONValue {
        switch value {
        case .string(let text): return .string(substitute(text, variables))
        case .array(let elements): return .array(elements.map { substitute($0, variables) })
        case .object(let members): return .object(members.mapValues { substitute($0, variables) })
        default: return value
        }
    }

    static func request(_ spec: JSONValue, variables: [String: String]) throws -> HTTPRequest {
        var path = substitute(spec["path"]?.stringValue ?? "/", variables)
        var queryText = spec["query"]?.stringValue.map { substitute($0, variables) } ?? ""
        if let mark = path.firstIndex(of: "?") {
            queryText = String(path[path.index(after: mark)...]) + (queryText.isEmpty ? "" : "&" + queryText)
            path = String(path[..<mark])
        }
        // libmicrohttpd hands the server percent-decoded query arguments; do the same.
        let query = FormURLEncoded.queryItems(queryText)
        var headers = HTTPHeaders()
        // Members of a JSON object have no order; sorted names keep the request the same on every run.
        for (name, value) in (spec["headers"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            headers.add(name: name, value: substitute(value.stringValue ?? "", variables))
        }
        var body: [UInt8] = []
        if let form = spec["form"]?.objectValue {
            let pairs = form.sorted { $0.key < $1.key }.map {
                ($0.key, substitute($0.value.stringValue ?? "", variables))
            }
            body = Array(FormURLEncoded.encode(pairs).utf8)
            if headers["Content-Type"] == nil {
                headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            }
        } else if let json = spec["body"] {
            body = JSONWriter.bytes(substitute(json, variables))
            if headers["Content-Type"] == nil { headers.add(name: "Content-Type", value: "application/json") }
        } else if let text = spec["bodyText"]?.stringValue {
            body = Array(substitute(text, variables).utf8)
        }
        return HTTPRequest(
            method: spec["method"]?.stringValue ?? "GET", path: path, query: query, headers: headers, body: body)
    }

    // MARK: Checks

    static func check(_ expected: JSONValue, response: HTTPResponse, body: JSONValue?, into problems: inout [String]) {
        if let status = expected["status"]?.intValue, status != response.status {
            problems.append("status \(response.status), documented \(status)")
        }
        for (name, value) in expected["headers"]?.objectValue ?? [:] {
            let actual = response.headers[name]
            switch value.stringValue {
            case "<present>"?: if actual == nil { problems.append("header \(name) missing") }
            case "<absent>"?: if let actual { problems.append("header \(name) present (\(actual)), documented absent") }
            case let wanted?:
                let compare = { (text: String) in
                    name.lowercased() == "content-type" ? HTTPRequest.mediaType(of: text) : text
                }
                if actual.map(compare) != compare(wanted) {
                    problems.append("header \(name) is \(actual ?? "missing"), documented \(wanted)")
                }
            case nil: problems.append("header \(name): expected value must be a string")
            }
        }
        if let wanted = expected["body"] {
            if let body { match(wanted, body, path: "", into: &problems) } else { problems.append("body is not JSON") }
        }
        for path in expected["absent"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if !values(at: path, in: body ?? .null).isEmpty { problems.append("\(path) is present, documented absent") }
        }
        if case .object(let paths)? = expected["xml"] { checkXML(paths, response.body, into: &problems) }
    }

    /// SOAP answers: each key is a path of local names from the envelope (`Body/CreateResponse/Results[1]/ErrorCode`),
    /// its value the element's text, `<present>` or `<absent>`; a path ending `/@type` reads the `xsi:type` (prefix
    /// dropped); one ending `/*` is the list of the element's children's names, in order.
    static func checkXML(_ paths: [String: JSONValue], _ body: [UInt8], into problems: inout [String]) {
        guard let root = try? XMLTree(body).root else {
            problems.append("body is not XML")
            return
        }
        for (path, wanted) in paths.sorted(by: { $0.key < $1.key }) {
            var steps = path.split(separator: "/").map(String.init)
            let last = steps.last
            if last == "@type" || last == "*" { steps.removeLast() }
            var element: XMLTree.Element? = root
            for step in steps {
                var name = step
                var index = 0
                if let open = step.firstIndex(of: "["), step.hasSuffix("]") {
                    name = String(step[..<open])
                    index = Int(step[step.index(after: open)..<step.index(before: step.endIndex)]) ?? 0
                }
                let matches = element?.children(name) ?? []
                element = matches.indices.contains(index) ? matches[index] : nil
            }
            let actual: JSONValue?
            switch last {
            case "@type": actual = element?.xsiType.map(JSONValue.string)
            case "*": actual = element.map { .array($0.children.map { .string($0.localName) }) }
            default: actual = element.map { .string($0.text) }
            }
            switch (wanted.stringValue, actual) {
            case ("<present>"?, nil): problems.append("\(path) missing")
            case ("<present>"?, _): break
            case ("<absent>"?, let found?): problems.append("\(path) is \(found), documented absent")
            case ("<absent>"?, nil): break
            default:
                if actual != wanted {
                    problems.append(
                        "\(path) is \(actual.map { JSONWriter.string($0) } ?? "missing"), documented \(JSONWriter.string(wanted))"
                    )
                }
            }
        }
    }

    /// Partial match: every expected member must be there and match; arrays match element by element.
    static func match(_ expected: JSONValue, _ actual: JSONValue?, path: String, into problems: inout [String]) {
        let here = path.isEmpty ? "body" : path
        if case .string(let text) = expected, text.hasPrefix("<"), text.hasSuffix(">") {
            let ok: Bool
            switch (text, actual) {
            case ("<any>", _): ok = actual != nil
            case ("<string>", .string?): ok = true
            case ("<integer>", .integer?): ok = true
            case ("<number>", .integer?), ("<number>", .double?): ok = true
            case ("<bool>", .bool?): ok = true
            case ("<object>", .object?): ok = true
            case ("<array>", .array?): ok = true
            case ("<null>", .null?): ok = true
            default:
                if text.hasPrefix("<prefix:") {
                    ok = actual?.stringValue?.hasPrefix(String(text.dropFirst(8).dropLast())) ?? false
                } else {
                    ok = actual == expected
                }
            }
            if !ok { problems.append("\(here): \(describe(actual)), documented \(text)") }
            return
        }
        switch (expected, actual) {
        case (.object(let wanted), .object(let members)?):
            for (key, value) in wanted.sorted(by: { $0.key < $1.key }) {
                let child = path.isEmpty ? key : "\(path).\(key)"
                guard let member = members[key] else {
                    problems.append("\(child) is missing")
                    continue
                }
                match(value, member, path: child, into: &problems)
            }
        case (.array(let wanted), .array(let elements)?):
            guard wanted.count == elements.count else {
                problems.append("\(here) has \(elements.count) elements, documented \(wanted.count)")
                return
            }
            for (index, value) in wanted.enumerated() {
                match(value, elements[index], path: "\(path)[\(index)]", into: &problems)
            }
        case (.integer(let number), .double(let value)?) where Double(number) == value:
            return
        default:
            if actual != expected {
                problems.append("\(here): \(describe(actual)), documented \(JSONWriter.string(expected))")
            }
        }
    }

    static func describe(_ value: JSONValue?) -> String {
        value.map { JSONWriter.string($0) } ?? "missing"
    }

    /// Every value at a dotted path; `[*]` walks every element, `[N]` one.
    static func values(at path: String, in root: JSONValue) -> [JSONValue] {
        var current: [JSONValue] = [root]
        for segment in path.split(separator: ".") {
            var name = Substring(segment)
            var indexes: [String] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]") {
                indexes.insert(String(name[name.index(after: open)..<name.index(before: name.endIndex)]), at: 0)
                name = name[..<open]
            }
            if !name.isEmpty { current = current.compactMap { $0[String(name)] } }
            for index in indexes {
                current = current.flatMap { value -> [JSONValue] in
                    guard let elements = value.arrayValue else { return [] }
                    if index == "*" { return elements }
                    guard let position = Int(index), elements.indices.contains(position) else { return [] }
                    return [elements[position]]
                }
            }
        }
        return current
    }
}

struct EvidenceError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
