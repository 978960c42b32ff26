import Foundation
import HTTPTypes
import JSONCore
import Logging
import MultipartKit
import WireFormat

/// Account Engagement's bulk Import API (`action.type: import`): each batch of records becomes one import of up to
/// 10 CSV files, created with its first file, filled, submitted, polled until Complete, and its errors file read
/// back into one verdict per record. A million records take a few hundred calls instead of a million.
///
/// The requests (import-v5; the fake and evidence/pardot/import-*.json follow the same sources):
/// - `POST /api/v5/imports` multipart: `input` (`{"operation":"Upsert","object":"Prospect","createOnNoMatch",
///   "restoreDeleted","fields":[{"name","nullOverwrite"}]}`) and `file` (the first CSV);
/// - `POST /api/v5/imports/{id}/batches` with each further `file`;
/// - `PATCH /api/v5/imports/{id}` `{"status":"Ready"}`;
/// - `GET /api/v5/imports/{id}?fields=…` until `Complete` (waits 2, 4, 8 … up to `maxPollIntervalSeconds`);
/// - with errors, `GET /api/v5/imports/{id}/errors`, which redirects to the file; the file is fetched without the
///   token (a signed storage URL on another host must not see it).
///
/// Safety: an import that was never submitted imports nothing and expires (import-v4: "No records are imported
/// in this case, even if batches of data have been added"), so any failure before the submit abandons it and
/// the records are tried again in a new one. The submit is journaled first (``ImportJournal``, durable in the
/// checkpoint), so that a retry or a resumed run reads a submitted import instead of uploading its rows again.
struct ProspectImportDelivery: DeliveryAction {
    let connection: AccountEngagementConnection
    let action: AccountEngagementAction
    /// Records that an import cannot carry faithfully go one by one (``ImportTable``).
    let upsert: AccountEngagementUpsert
    let journal = ImportJournal()
    /// The run's call budget (an import checks that it can be finished before it starts) and logger.
    let run = AttachedRun()

    init(connection: AccountEngagementConnection, action: AccountEngagementAction) {
        self.connection = connection
        self.action = action
        upsert = AccountEngagementUpsert(connection: connection, action: action)
    }

    var settings: AccountEngagementAction.ImportSettings { action.imports }
    var batchSize: Int { settings.maxRowsPerImport }
    /// Imports in flight at once (`import.concurrentImports`, 2): one processing while the next uploads keeps
    /// the pipeline full, and each holds its records until its result is read.
    var maxConcurrentAttempts: Int? { settings.concurrentImports }
    /// What an import's files hold at most, a little under, as the dispatcher's sizes are estimates.
    var maxBatchBytes: Int? { settings.maxBatchBytes / 100 * 97 * settings.batchesPerImport }

    /// An upper estimate of the record's row: its values, the address twice, the separators.
    func encodedSize(of record: MappedRecord) -> Int {
        var size = record.identity.utf8.count * 2 + 24 + record.lists.count * 8
        for value in record.fields.values { size += (value.scalarText?.utf8.count ?? 32) + 3 }
        return size
    }

    func attach(_ run: RunAttachments) {
        journal.attach(run.checkpoint)
        self.run.set(run)
    }

    func attempt(
        _ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport,
        clock: any DeliveryClock
    ) async -> (verdicts: [AttemptVerdict], requests: Int) {
        var verdicts = [AttemptVerdict?](repeating: nil, count: batch.count)
        var requests = 0
        var session = Session(
            delivery: self, grant: grant, transport: transport, clock: clock,
            context: RequestContext(line: batch[0].line, identity: batch[0].identity, attempt: attempt))

        // Rows of imports already submitted (an earlier attempt, or the run a crash cut short) are read back.
        var fresh: [Int] = []
        var submitted: [Int: (record: Checkpoint.ImportRecord, indexes: [Int])] = [:]
        for (index, record) in batch.enumerated() {
            if let known = journal.submittedImport(holding: record.line) {
                submitted[known.id, default: (known, [])].indexes.append(index)
            } else {
                fresh.append(index)
            }
        }
        for (id, entry) in submitted.sorted(by: { $0.key < $1.key }) {
            let records = entry.indexes.map { batch[$0] }
            let rows = records.map { ImportTable.row($0, header: entry.record.header) }
            let outcome = await session.finish(importID: id, header: entry.record.header, rows: rows)
            if case .neverSubmitted = outcome {
                journal.forget(id)
                fresh += entry.indexes
                continue
            }
            for (position, index) in entry.indexes.enumerated() { verdicts[index] = outcome.verdict(at: position) }
        }
        fresh.sort()

        // The rest: one new import, and the records it cannot carry one by one.
        if !fresh.isEmpty {
            let records = fresh.map { batch[$0] }
            let table = ImportTable(
                records: records, campaignID: settings.campaignID, createOnNoMatch: settings.createOnNoMatch)
            for index in table.fallback {
                let (single, made) = await upsert.attempt(
                    [records[index]], grant: grant, attempt: attempt, transport: transport, clock: clock)
                requests += made
                verdicts[fresh[index]] = single[0]
            }
            if !table.rows.isEmpty {
                let outcome = await session.run(table, records: records)
                for (position, index) in table.rowRecords.enumerated() {
                    verdicts[fresh[index]] = outcome.verdict(at: position)
                }
            }
        }
        requests += session.requests
        return (verdicts.map { $0 ?? .notSent }, requests)
    }

    // MARK: - One attempt's requests

    /// What happened to an import's rows.
    enum Outcome {
        /// Row position → verdict (rows not listed were imported).
        case finished(refused: [Int: AttemptVerdict], rowsLeftOut: Range<Int>)
        /// The same verdict for every row.
        case all(AttemptVerdict)
        /// A journaled import turned out never to have been submitted: its rows go into a new one.
        case neverSubmitted

        func verdict(at position: Int) -> AttemptVerdict {
            switch self {
            case .finished(let refused, let left):
                if left.contains(position) { return .notSent }
                return refused[position] ?? .done(.delivered)
            case .all(let verdict): return verdict
            case .neverSubmitted: return .notSent
            }
        }
    }

    /// The requests of one attempt, counted.
    struct Session {
        let delivery: ProspectImportDelivery
        let grant: AccessGrant
        let transport: any HTTPTransport
        let clock: any DeliveryClock
        let context: RequestContext
        var requests = 0

        init(
            delivery: ProspectImportDelivery, grant: AccessGrant, transport: any HTTPTransport,
            clock: any DeliveryClock, context: RequestContext
        ) {
            self.delivery = delivery
            self.grant = grant
            self.transport = transport
            self.clock = clock
            self.context = context
        }

        private var settings: AccountEngagementAction.ImportSettings { delivery.settings }
        private var connection: AccountEngagementConnection { delivery.connection }

        private func url(_ path: String, query: String? = nil) -> URL {
            let base = connection.apiURL.appendingPathComponent(path)
            guard let query else { return base }
            return URL(string: base.absoluteString + "?" + query) ?? base
        }

        private func headers(contentType: String?) -> HTTPFields {
            var fields: HTTPFields = [
                .authorization: "Bearer \(grant.token)", .pardotBusinessUnitID: connection.businessUnitID,
                .accept: "application/json",
            ]
            if let contentType { fields[.contentType] = contentType }
            return fields
        }

        private mutating func send(_ request: TransportRequest) async -> Sent {
            requests += 1
            do {
                return .answered(try await transport.send(request))
            } catch {
                return .failed(error.verdict)
            }
        }

        /// Creates, fills and submits an import of the table's rows, then reads its result.
        mutating func run(_ table: ImportTable, records: [MappedRecord]) async -> Outcome {
            let (files, left) = table.files(maxBytes: settings.maxBatchBytes, maxFiles: settings.batchesPerImport)
            // Its files, the submit and a status read must fit in the budget, or it is not started.
            if let budget = delivery.run.value?.budget, budget.remaining < files.count + 2 {
                return .all(
                    .stop(
                        CallBudget.stop(
                            "\(budget.exhaustedMessage) for another import (\(files.count + 2) calls; \(budget.remaining) left)"
                        )))
            }
            var input: [String: JSONValue] = [
                "operation": "Upsert", "object": "Prospect", "createOnNoMatch": .bool(settings.createOnNoMatch),
                "restoreDeleted": .bool(delivery.action.secondaryDeletedSearch),
            ]
            if !table.nullOverwriteFields.isEmpty {
                input["fields"] = .array(
                    table.nullOverwriteFields.map { ["name": .string($0), "nullOverwrite": true] })
            }
            let form = ImportForm(parts: [
                .json(name: "input", JSONWriter.bytes(.object(input))),
                .file(name: "file", filename: "batch-1.csv", files[0].bytes),
            ])
            let create = TransportRequest(
                method: "POST", url: url("api/v5/imports", query: "fields=id,status"),
                headers: headers(contentType: form.contentType), body: form.body, context: context)
            let id: Int
            switch await send(create) {
            case .failed(let verdict): return .all(verdict)
            case .answered(let response):
                guard response.status == 200 || response.status == 201,
                    let created = (try? JSONParser.parse(response.body))?["id"]?.intValue
                else { return .all(delivery.refusal(response, stage: "creating an import")) }
                id = created
            }
            let rowLines = table.rowRecords.prefix(left.lowerBound).map { records[$0].line }.sorted()
            var record = Checkpoint.ImportRecord(
                id: id, stage: .created, header: table.header, lines: Checkpoint.ImportRecord.ranges(rowLines))
            // Recorded so that the checkpoint names an import a crash leaves Open (it expires, importing nothing).
            do {
                try delivery.journal.record(record)
            } catch {
                return abandon(id, .stop(DeliveryStop.outputFailure(error)))
            }
            // Each further file; a failure abandons the import (never submitted, it imports nothing).
            for (number, file) in files.enumerated().dropFirst() {
                let form = ImportForm(parts: [.file(name: "file", filename: "batch-\(number + 1).csv", file.bytes)])
                var request = TransportRequest(
                    method: "POST", url: url("api/v5/imports/\(id)/batches"),
                    headers: headers(contentType: form.contentType), body: form.body, context: context)
                switch await send(request) {
                case .failed(let verdict): return abandon(id, verdict)
                case .answered(let response):
                    guard (200..<300).contains(response.status) else {
                        return abandon(
                            id, delivery.refusal(response, stage: "adding batch \(number + 1) to import \(id)"))
                    }
                }
            }
            record.stage = .submitting
            do {
                try delivery.journal.record(record)
            } catch {
                return abandon(id, .stop(DeliveryStop.outputFailure(error)))
            }
            let submit = TransportRequest(
                method: "PATCH", url: url("api/v5/imports/\(id)", query: "fields=id,status"),
                headers: headers(contentType: "application/json"), body: JSONWriter.bytes(["status": "Ready"]),
                context: context)
            switch await send(submit) {
            case .failed:
                // Whether it was submitted is unknown: the status read below says.
                break
            case .answered(let response) where !(200..<300).contains(response.status):
                delivery.journal.forget(id)
                return abandon(id, delivery.refusal(response, stage: "submitting import \(id)"))
            case .answered:
                break
            }
            let outcome = await finish(importID: id, header: table.header, rows: Array(table.rows[..<left.lowerBound]))
            switch outcome {
            case .finished(let refused, _): return .finished(refused: refused, rowsLeftOut: left)
            case .neverSubmitted:
                delivery.journal.forget(id)
                return .all(
                    .retry(code: "importNotSubmitted", message: "import \(id) was not submitted", retryAfter: nil))
            case .all: return outcome
            }
        }

        /// Leaves an import that was never submitted, saying so: it imports nothing and expires within 24 hours
        /// (import-v4), and its records go again in a new import (now, or with --resume).
        private func abandon(_ id: Int, _ verdict: AttemptVerdict) -> Outcome {
            delivery.run.value?.logger.notice(
                "import \(id) left Open, never submitted: it imports nothing and expires within 24 hours; its records are sent again",
                metadata: ["import": "\(id)"])
            return .all(verdict)
        }

        /// Polls a submitted import until it is Complete and reads its errors back onto `rows`.
        mutating func finish(importID id: Int, header: [String], rows: [[String]]) async -> Outcome {
            var waited = 0.0
            var delay = 2.0
            var lastSeen = "unread"
            while true {
                let read = TransportRequest(
                    method: "GET",
                    url: url(
                        "api/v5/imports/\(id)",
                        query: "fields=id,status,isExpired,createdCount,updatedCount,errorCount,errorsRef"),
                    headers: headers(contentType: nil), context: context)
                switch await send(read) {
                case .failed(let verdict):
                    // No answer: polled again, unless the run must stop (a call budget, an untrusted certificate).
                    if case .stop = verdict {
                        delivery.run.value?.logger.notice(
                            "import \(id) is submitted; the run stops before its result is read: --resume reads it",
                            metadata: ["import": "\(id)"])
                        return .all(verdict)
                    }
                case .answered(let response):
                    if response.status == 200, let status = (try? JSONParser.parse(response.body)) {
                        let state = status["status"]?.stringValue ?? "unknown"
                        lastSeen = state
                        switch state {
                        case "Complete":
                            let errors = status["errorCount"]?.intValue ?? 0
                            guard errors > 0 else { return .finished(refused: [:], rowsLeftOut: 0..<0) }
                            return await readErrors(importID: id, header: header, rows: rows)
                        case "Open":
                            return .neverSubmitted
                        case "Failed", "Cancelled":
                            return .all(
                                .done(
                                    .rejected(
                                        code: "import\(state)",
                                        message: "import \(id) ended \(state): Account Engagement imported none of it"))
                            )
                        default:
                            break
                        }
                    } else {
                        let verdict = delivery.upsert.verdict(for: response)
                        switch verdict {
                        case .stop, .refreshToken: return .all(verdict)
                        case .done:
                            // 404: an import that is not there (expired, another unit) has no result to read.
                            return .all(
                                .done(
                                    .rejected(
                                        code: "importUnreadable",
                                        message:
                                            "import \(id) could not be read (\(response.status)); its rows may or may not have been imported"
                                    )))
                        default: break
                        }
                    }
                }
                guard waited + delay <= settings.maxWaitSeconds else {
                    return .all(
                        .done(
                            .rejected(
                                code: "importTimeout",
                                message:
                                    "import \(id) still \(lastSeen) after \(Int(waited)) s; its rows may yet be imported: see Imports in Account Engagement"
                            )))
                }
                do { try await clock.sleep(seconds: delay) } catch {
                    delivery.run.value?.logger.notice(
                        "import \(id) is submitted; the run stopped before its result was read: --resume reads it",
                        metadata: ["import": "\(id)"])
                    return .all(.retry(code: "cancelled", message: "cancelled", retryAfter: nil))
                }
                waited += delay
                delay = min(settings.maxPollIntervalSeconds, delay * 2)
            }
        }

        /// Reads the errors file (through its redirect, without the token) and pins each refused row on its record:
        /// by the whole row first, then by the match address.
        private mutating func readErrors(importID id: Int, header: [String], rows: [[String]]) async -> Outcome {
            let errors = TransportRequest(
                method: "GET", url: url("api/v5/imports/\(id)/errors"), headers: headers(contentType: nil),
                context: context)
            var fileURL: URL?
            switch await send(errors) {
            case .failed(let verdict): return .all(verdict)
            case .answered(let response):
                if (300..<400).contains(response.status), let location = response.headers[.location] {
                    fileURL = URL(string: location, relativeTo: connection.apiURL)?.absoluteURL
                } else if response.status == 200 {
                    return attribute(response.body, importID: id, header: header, rows: rows)
                } else {
                    let verdict = delivery.upsert.verdict(for: response)
                    if case .done = verdict {
                        return .all(
                            .retry(
                                code: "importErrors", message: "the errors of import \(id) could not be read",
                                retryAfter: nil))
                    }
                    return .all(verdict)
                }
            }
            guard let fileURL else {
                return .all(
                    .retry(
                        code: "importErrors", message: "import \(id)'s errors redirect has no Location", retryAfter: nil
                    ))
            }
            let file = TransportRequest(method: "GET", url: fileURL, headers: [.accept: "text/csv"], context: context)
            switch await send(file) {
            case .failed(let verdict): return .all(verdict)
            case .answered(let response):
                guard response.status == 200 else {
                    return .all(
                        .retry(
                            code: "importErrors",
                            message: "the errors file of import \(id) answered \(response.status)", retryAfter: nil))
                }
                return attribute(response.body, importID: id, header: header, rows: rows)
            }
        }

        private func attribute(_ bytes: [UInt8], importID id: Int, header: [String], rows: [[String]]) -> Outcome {
            let table: [[String]]
            do {
                table = try CSVText.parse(bytes)
            } catch {
                return .all(
                    .retry(code: "importErrors", message: "the errors file of import \(id): \(error)", retryAfter: nil))
            }
            var byRow: [[String]: [Int]] = [:]
            var byMatch: [String: [Int]] = [:]
            for (position, row) in rows.enumerated() {
                byRow[row, default: []].append(position)
                byMatch[row[0], default: []].append(position)
            }
            var refused: [Int: AttemptVerdict] = [:]
            for errorRow in table.dropFirst() where errorRow.count >= 2 {
                let message =
                    errorRow.count > header.count ? errorRow[header.count...].joined(separator: "; ") : errorRow.last!
                let cells = Array(errorRow.prefix(header.count))
                var position = byRow[cells]?.first { refused[$0] == nil }
                if position == nil { position = byMatch[cells[0]]?.first { refused[$0] == nil } }
                guard let position else { continue }
                refused[position] = .done(.rejected(code: "importError", message: message))
            }
            return .finished(refused: refused, rowsLeftOut: 0..<0)
        }
    }

    /// A failed import request's verdict for its records: throttles and server errors are retried, the quota and
    /// the business unit stop the run as for upserts, and any other refusal of a file stops the run too, because
    /// it is about the import (its header, its size), not one record, and every import would meet it.
    func refusal(_ response: TransportResponse, stage: String) -> AttemptVerdict {
        let verdict = upsert.verdict(for: response)
        guard case .done(.rejected(let code, let message)) = verdict else { return verdict }
        return .stop(
            DeliveryStop(
                code: .server(code),
                reason: "Account Engagement refused \(stage) (\(response.status), \(code): \(message))",
                advice:
                    "Check the mapping's target fields (v5 prospect field names or custom __c fields), action.import.campaignId, and that the user may import prospects (Prospects > Prospects > Import)."
            ))
    }
}

/// A `multipart/form-data` body (MultipartKit's serializer), with a boundary that is the same on every run (the
/// goldens show it) and that no part contains.
struct ImportForm {
    enum Part {
        case json(name: String, [UInt8])
        case file(name: String, filename: String, [UInt8])
    }

    let body: [UInt8]
    let contentType: String

    init(parts: [Part]) {
        var boundary = "sfdest-import-boundary"
        while parts.contains(where: { Self.contains($0.bytes, Array(boundary.utf8)) }) { boundary += "-x" }
        let built: [MultipartPart] = parts.map { part in
            var headers = HTTPHeaders()
            switch part {
            case .json(let name, _):
                headers.add(name: "Content-Disposition", value: "form-data; name=\"\(name)\"")
                headers.add(name: "Content-Type", value: "application/json")
            case .file(let name, let filename, _):
                headers.add(name: "Content-Disposition", value: "form-data; name=\"\(name)\"; filename=\"\(filename)\"")
                headers.add(name: "Content-Type", value: "text/csv")
            }
            return MultipartPart(headers: headers, body: ByteBuffer(bytes: part.bytes))
        }
        var buffer = ByteBuffer()
        try? MultipartSerializer().serialize(parts: built, boundary: boundary, into: &buffer)
        body = Array(buffer.readableBytesView)
        contentType = "multipart/form-data; boundary=\(boundary)"
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) {
                return true
            }
            index += 1
        }
        return false
    }
}

extension ImportForm.Part {
    var bytes: [UInt8] {
        switch self {
        case .json(_, let bytes), .file(_, _, let bytes): return bytes
        }
    }
}
