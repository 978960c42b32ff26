import FakeHTTP
import Foundation
import JSONCore
import SalesforceFakes
import Synchronization

/// The Marketing Cloud fake under load: its trivial endpoint as the ceiling, then rowset upserts (batches of
/// 1 and 50), the same 50 rows a call upserted over SOAP (`UpdateRequest` with `SaveAction` UpdateAdd, as a
/// FuelSDK or zeep client sends it) and contact updates against 1,000 and 1,000,000 stored rows and contacts,
/// through the whole real path (HTTP, token, throttle window, scope, validation, model, journal).
struct MarketingCloudBenchmark {
    let load: LoadGenerator
    static let dataExtensionKey = "bench-customers"

    struct StateRuns {
        var stored: Int
        var rowsetSingle: LoadResult
        var rowsetFifty: LoadResult
        var soapFifty: LoadResult
        var contactUpdate: LoadResult
    }

    struct Figures {
        var trivial: LoadResult
        var small: StateRuns
        var large: StateRuns
        var bytesPerStoredRowAndContact: Double
    }

    func run(smallCount: Int = 1000, largeCount: Int = 1_000_000) throws -> Figures {
        let (smallFake, smallServer) = try startFake(rows: smallCount)
        let before = ProcessMemory.settledResidentBytes
        let (largeFake, largeServer) = try startFake(rows: largeCount)
        let after = ProcessMemory.settledResidentBytes
        defer {
            smallServer.stop()
            largeServer.stop()
        }
        let smallToken = try mintToken(smallFake)
        let largeToken = try mintToken(largeFake)
        try checkSOAPUpsert(smallServer, token: smallToken)
        try checkSOAPUpsert(largeServer, token: largeToken)
        func jobs(_ server: FakeServer, _ token: String, _ stored: Int) -> [LoadGenerator.Job] {
            [
                .init(url: server.baseURL, script: rowsetScript(token: token, stored: stored, batch: 1)),
                .init(url: server.baseURL, script: rowsetScript(token: token, stored: stored, batch: 50)),
                .init(url: server.baseURL, script: soapScript(token: token, stored: stored, batch: 50)),
                .init(url: server.baseURL, script: contactScript(token: token, stored: stored)),
            ]
        }
        let results = try load.runInterleaved(
            [.init(url: smallServer.baseURL + "/__fake/health", script: "wrk.method = \"GET\"\n")]
                + jobs(smallServer, smallToken, smallCount) + jobs(largeServer, largeToken, largeCount))
        if let failed = results.first(where: { $0.failures > 0 }) {
            throw BenchError("\(failed.failures) responses were not 2xx; the figures would not measure the real path")
        }
        return Figures(
            trivial: results[0],
            small: StateRuns(
                stored: smallCount, rowsetSingle: results[1], rowsetFifty: results[2], soapFifty: results[3],
                contactUpdate: results[4]),
            large: StateRuns(
                stored: largeCount, rowsetSingle: results[5], rowsetFifty: results[6], soapFifty: results[7],
                contactUpdate: results[8]),
            bytesPerStoredRowAndContact: Double(after - before) / Double(largeCount))
    }

    /// Rowset (x1) and contact updates through the in-process dispatch path without HTTP, for callgrind.
    func inProcess(requests: Int) throws {
        let stored = Int(ProcessInfo.processInfo.environment["BENCH_STATE"] ?? "") ?? 1000
        let (fake, server) = try startFake(rows: stored)
        defer { server.stop() }
        let token = try mintToken(fake)
        // Requests run on a thread of their own, as MHD's workers do under wrk: glibc gives it its own malloc
        // arena, so the loop does not allocate among the holes that building a large state left in the main one.
        let failure = Mutex<String?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            do {
                try self.requestLoop(server: server, token: token, stored: stored, requests: requests)
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            finished.signal()
        }.start()
        finished.wait()
        if let message = failure.withLock({ $0 }) { throw BenchError(message) }
    }

    private func requestLoop(server: FakeServer, token: String, stored: Int, requests: Int) throws {
        let headers: HTTPHeaders = [
            "Host": "127.0.0.1", "Content-Type": "application/json", "Authorization": "Bearer \(token)",
            "Content-Length": "150",
            "User-Agent": "wrk",
        ]
        // BENCH_MIX=contacts profiles contact updates alone, rowset1 one-row rowsets alone, rowset50 50-row rowsets
        // (read once: the environment is rebuilt on each read). BENCH_STATE sets the stored rows and contacts
        // (default 1,000).
        let mix = ProcessInfo.processInfo.environment["BENCH_MIX"]
        let contactsOnly = mix == "contacts"
        let rowsetsOnly = mix == "rowset1"
        let started = Date()
        let cpuBefore = ThreadCPU.now()
        defer {
            let cpu = ThreadCPU.now() - cpuBefore
            print(
                String(
                    format: "%@ loop at %d stored: %.2f us per request (thread CPU: %.2f user + %.2f system)",
                    mix ?? "mixed", stored,
                    Date().timeIntervalSince(started) / Double(requests) * 1e6, cpu.user / Double(requests) * 1e6,
                    cpu.system / Double(requests) * 1e6))
        }
        if mix == "rowset50" {
            var counter = 0
            for _ in 0..<requests {
                var rows: [String] = []
                for _ in 0..<50 {
                    counter += 1
                    rows.append(
                        "{\"keys\":{\"Email\":\"user\((counter * 7919) % stored)@example.com\"},\"values\":{\"FirstName\":\"F\(counter)\",\"Visits\":\(counter),\"Active\":true}}"
                    )
                }
                let body = Array(("[" + rows.joined(separator: ",") + "]").utf8)
                let response = server.respond(
                    to: HTTPRequest(
                        method: "POST", path: "/hub/v1/dataevents/key:\(Self.dataExtensionKey)/rowset",
                        headers: headers, body: body))
                guard response.status == 200 else { throw BenchError("status \(response.status)") }
                response.onComplete?()
            }
            return
        }
        for counter in 0..<requests {
            let index = (counter * 7919) % stored
            let (path, method, body) =
                (counter % 2 == 0 || rowsetsOnly) && !contactsOnly
                ? (
                    "/hub/v1/dataevents/key:\(Self.dataExtensionKey)/rowset", "POST",
                    "[{\"keys\":{\"Email\":\"user\(index)@example.com\"},\"values\":{\"FirstName\":\"F\(counter)\",\"Visits\":\(counter),\"Active\":true}}]"
                )
                : (
                    "/contacts/v1/contacts", "PATCH",
                    "{\"contactKey\":\"user\(index)@example.com\",\"attributeSets\":[{\"name\":\"Email Demographics\",\"items\":[{\"values\":"
                        + "[{\"name\":\"First Name\",\"value\":\"F\(counter)\"},{\"name\":\"salesforce_mc_segment_1\",\"value\":\"realized\"}]}]}]}"
                )
            let response = server.respond(
                to: HTTPRequest(method: method, path: path, headers: headers, body: Array(body.utf8)))
            guard response.status == 200 else {
                throw BenchError("status \(response.status): \(String(decoding: response.body, as: UTF8.self))")
            }
            response.onComplete?()
        }
    }

    private func startFake(rows: Int) throws -> (MarketingCloudFake, FakeServer) {
        let clock = FakeClock()
        let seed: JSONValue = [
            "clients": [["clientId": "fake-client-id", "clientSecret": "fake-client-secret"]],
            "businessUnits": [["mid": 100_000_001]],
            "attributeSets": [
                [
                    "name": "Email Demographics",
                    "attributes": [
                        ["name": "First Name", "length": 100], ["name": "Last Name", "length": 100],
                        ["name": "salesforce_mc_segment_1", "length": 254],
                    ],
                ]
            ],
            "dataExtensions": [
                [
                    "name": "Customers", "key": .string(Self.dataExtensionKey),
                    "columns": [
                        ["name": "Email", "type": "EmailAddress", "isPrimaryKey": true, "length": 254],
                        ["name": "FirstName", "length": 50], ["name": "Visits", "type": "Number"],
                        ["name": "Active", "type": "Boolean"],
                    ],
                ]
            ],
            // A one-day token so that a long run does not measure 401 answers.
            "settings": ["tokenLifetimeSeconds": 86400],
        ]
        let fake = try MarketingCloudFake(seed: seed, clock: clock)
        fake.insertSyntheticData(rows: rows, dataExtensionKey: Self.dataExtensionKey)
        let server = try FakeServer(service: fake, clock: clock, configuration: .init(threads: benchServerThreads))
        return (fake, server)
    }

    private func mintToken(_ fake: MarketingCloudFake) throws -> String {
        let response = fake.handle(
            HTTPRequest(
                method: "POST", path: "/v2/token", headers: ["Content-Type": "application/json"],
                body: JSONWriter.bytes([
                    "grant_type": "client_credentials", "client_id": "fake-client-id",
                    "client_secret": "fake-client-secret",
                ])))
        guard let token = (try? JSONParser.parse(response.body))?["access_token"]?.stringValue else {
            throw BenchError("no token: \(String(decoding: response.body, as: UTF8.self))")
        }
        return token
    }

    /// Each request updates `batch` existing rows, striding through the key space.
    private func rowsetScript(token: String, stored: Int, batch: Int) -> String {
        """
        wrk.method = "POST"
        wrk.path = "/hub/v1/dataevents/key:\(Self.dataExtensionKey)/rowset"
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer \(token)"
        local counter = math.random(1, \(stored))
        request = function()
          local rows = {}
          for i = 1, \(batch) do
            counter = counter + 1
            local index = (counter * 7919) % \(stored)
            rows[i] = string.format('{"keys":{"Email":"user%d@example.com"},"values":{"FirstName":"F%d","Visits":%d,"Active":true}}', index, counter, counter)
          end
          return wrk.format(nil, nil, nil, "[" .. table.concat(rows, ",") .. "]")
        end
        """
    }

    /// One SOAP upsert of a stored row, in the envelope the load sends, must answer OverallStatus OK.
    private func checkSOAPUpsert(_ server: FakeServer, token: String) throws {
        let object =
            "<ns0:Objects xsi:type=\"ns0:DataExtensionObject\"><ns0:CustomerKey>\(Self.dataExtensionKey)</ns0:CustomerKey>"
            + "<ns0:Properties><ns0:Property><ns0:Name>Email</ns0:Name><ns0:Value>user1@example.com</ns0:Value>"
            + "</ns0:Property><ns0:Property><ns0:Name>Visits</ns0:Name><ns0:Value>2</ns0:Value></ns0:Property>"
            + "</ns0:Properties></ns0:Objects>"
        let body =
            "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:etns=\"http://exacttarget.com\" "
            + "xmlns:ns0=\"http://exacttarget.com/wsdl/partnerAPI\"><SOAP-ENV:Header><etns:fueloauth>\(token)"
            + "</etns:fueloauth></SOAP-ENV:Header><SOAP-ENV:Body><ns0:UpdateRequest><ns0:Options><ns0:SaveOptions>"
            + "<ns0:SaveOption><ns0:PropertyName>*</ns0:PropertyName><ns0:SaveAction>UpdateAdd</ns0:SaveAction>"
            + "</ns0:SaveOption></ns0:SaveOptions></ns0:Options>\(object)</ns0:UpdateRequest></SOAP-ENV:Body>"
            + "</SOAP-ENV:Envelope>"
        let response = server.respond(
            to: HTTPRequest(
                method: "POST", path: "/Service.asmx",
                headers: ["Content-Type": "text/xml; charset=utf-8", "SOAPAction": "\"Update\""],
                body: Array(body.utf8)))
        let text = String(decoding: response.body, as: UTF8.self)
        guard response.status == 200, text.contains("<OverallStatus>OK</OverallStatus>") else {
            throw BenchError("the SOAP upsert the load sends is refused: \(response.status) \(text.prefix(400))")
        }
    }

    /// Each request upserts `batch` existing rows over SOAP, in FuelSDK-Python's envelope (token in
    /// `fueloauth`, `xsi:type` prefixed), with the `SaveOptions` that make an Update an upsert. The SOAP
    /// endpoint answers 200 whatever each object's status, so ``checkSOAPUpsert`` sends one such call first and
    /// requires OverallStatus OK (a check per answer in wrk's Lua would cost the load generator more than the
    /// fake).
    private func soapScript(token: String, stored: Int, batch: Int) -> String {
        """
        wrk.method = "POST"
        wrk.path = "/Service.asmx"
        wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
        wrk.headers["SOAPAction"] = '"Update"'
        local head = '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:etns="http://exacttarget.com" xmlns:ns0="http://exacttarget.com/wsdl/partnerAPI"><SOAP-ENV:Header><etns:fueloauth>\(token)</etns:fueloauth></SOAP-ENV:Header><SOAP-ENV:Body><ns0:UpdateRequest><ns0:Options><ns0:SaveOptions><ns0:SaveOption><ns0:PropertyName>*</ns0:PropertyName><ns0:SaveAction>UpdateAdd</ns0:SaveAction></ns0:SaveOption></ns0:SaveOptions></ns0:Options>'
        local tail = '</ns0:UpdateRequest></SOAP-ENV:Body></SOAP-ENV:Envelope>'
        local counter = math.random(1, \(stored))
        request = function()
          local objects = {}
          for i = 1, \(batch) do
            counter = counter + 1
            local index = (counter * 7919) % \(stored)
            objects[i] = string.format('<ns0:Objects xsi:type="ns0:DataExtensionObject"><ns0:CustomerKey>\(Self.dataExtensionKey)</ns0:CustomerKey><ns0:Properties><ns0:Property><ns0:Name>Email</ns0:Name><ns0:Value>user%d@example.com</ns0:Value></ns0:Property><ns0:Property><ns0:Name>FirstName</ns0:Name><ns0:Value>F%d</ns0:Value></ns0:Property><ns0:Property><ns0:Name>Visits</ns0:Name><ns0:Value>%d</ns0:Value></ns0:Property><ns0:Property><ns0:Name>Active</ns0:Name><ns0:Value>true</ns0:Value></ns0:Property></ns0:Properties></ns0:Objects>', index, counter, counter)
          end
          return wrk.format(nil, nil, nil, head .. table.concat(objects) .. tail)
        end
        """
    }

    /// Each request updates an existing contact's Email Demographics, including a segment status field.
    private func contactScript(token: String, stored: Int) -> String {
        """
        wrk.method = "PATCH"
        wrk.path = "/contacts/v1/contacts"
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer \(token)"
        local counter = math.random(1, \(stored))
        request = function()
          counter = counter + 1
          local index = (counter * 7919) % \(stored)
          local body = string.format('{"contactKey":"user%d@example.com","attributeSets":[{"name":"Email Demographics","items":[{"values":[{"name":"First Name","value":"F%d"},{"name":"salesforce_mc_segment_1","value":"realized"}]}]}]}', index, counter)
          return wrk.format(nil, nil, nil, body)
        end
        """
    }
}

/// CPU seconds the calling thread has used, user and system (getrusage RUSAGE_THREAD): separates work from
/// waiting when a loop's wall time moves.
struct ThreadCPU {
    var user: Double
    var system: Double

    static func now() -> ThreadCPU {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD, which Glibc does not export to Swift
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return ThreadCPU(user: seconds(usage.ru_utime), system: seconds(usage.ru_stime))
    }

    static func - (lhs: ThreadCPU, rhs: ThreadCPU) -> ThreadCPU {
        ThreadCPU(user: lhs.user - rhs.user, system: lhs.system - rhs.system)
    }
}
