import Foundation
import JSONCore
import Synchronization

/// `POST /hub/v1/dataevents/{key:K | id}/rowset`, a batch of `{keys, values}` rows per call.
///
/// A row the API refuses fails the whole call (400, errorcode 10006, `additionalErrors` of `{message, errorcode,
/// documentation}`), and nothing in the answer says which row it was: the errors name a column, never a row
/// (Segment's sfmc-operations.ts: they "cannot be mapped" to rows; evidence/marketing-cloud/rowset-10006-*).
/// Whether the rows before it were saved, the documentation does not say (Segment's comment says they are, citing a
/// StackExchange answer; the fake saves them, `MarketingCloudSettings`). So a refused batch is searched for its first refused row by
/// halving: a probe of the rows not yet known delivered, up to the middle, either succeeds (those rows are
/// delivered, by that probe's own answer) or is refused (the first refused row is in it). Rows are delivered
/// only on an answer that accepted them, whatever the API did with earlier refused calls; every call is an
/// upsert, so sending a row again changes nothing. A batch with one bad row in `n` costs about `log2(n) + 2`
/// calls, not `n + 1`.
///
/// A transient failure (a 429, a 5xx, a dropped connection) ends the attempt: the rows of that request get the
/// retry verdict, and the rows no request carried in this attempt get ``AttemptVerdict/notSent``, which costs
/// them no attempt of their own.
///
/// A row carried by a refused call may have been saved by it (the rows before the refused one are, in the fake and
/// by Segment's reading) without any answer saying so. If such a row then runs out of attempts on transient
/// failures, its reject says that it may already be saved (issue 28's trial: 314 of 787 such rows were).
struct RowsetDelivery: DeliveryAction {
    let target: DataExtensionTarget
    let primaryKeys: [String]
    let batchSize: Int
    /// Input lines of the rows some refused call carried, across attempts.
    let carriedByRefusedCalls = RefusedCallRows()

    /// The lines of rows a refused call carried: shared by every copy of the action for the run.
    final class RefusedCallRows: Sendable {
        private let lines = Mutex<Set<Int>>([])
        func insert<Rows: Sequence<MappedRecord>>(_ rows: Rows) {
            lines.withLock { set in for row in rows { set.insert(row.line) } }
        }
        func contains(_ line: Int) -> Bool { lines.withLock { $0.contains(line) } }
    }

    static let maySavedNote =
        " (this row may already be saved: a call that carried it was refused with a row error, and such a call saves the rows before the refused one)"

    /// "The maximum payload size is 5 MB" (rowset reference); Salesforce advises 50 rows per call.
    var maxBatchBytes: Int? { AsyncRowsDelivery.maxRequestBytes - 64 }

    /// `JSONWriter.bytes(row(record)).count + 1` (the comma), counted without building the row: this is asked
    /// for every record, and building and writing each row twice was a tenth of a rowset run's CPU (issue 23).
    func encodedSize(of record: MappedRecord) -> Int {
        var keys = (members: 0, bytes: 0)
        var values = (members: 0, bytes: 0)
        for (name, value) in record.fields {
            let member = JSONWriter.compactByteCount(ofString: name) + 1 + JSONWriter.compactByteCount(of: value)
            if primaryKeys.contains(name) {
                keys.members += 1
                keys.bytes += member
            } else {
                values.members += 1
                values.bytes += member
            }
        }
        func object(_ group: (members: Int, bytes: Int)) -> Int {
            group.members == 0 ? 2 : 1 + group.bytes + group.members
        }
        // {"keys":…,"values":…} and the comma before the next row.
        return #"{"keys":,"values":}"#.utf8.count + object(keys) + object(values) + 1
    }

    /// What one rowset call's answer means for the rows it carried.
    private enum Answer {
        /// 200: every row saved.
        case accepted
        /// A row of the call was refused (10006 with details, or another refusal of the whole call): the rows
        /// are not known saved, and a call of one row rejects that row with this outcome.
        case refused(RecordOutcome)
        /// Anything else (retry, stop, refresh, an unknown data extension): the verdict for the rows it carried;
        /// the attempt ends.
        case ended(AttemptVerdict)
    }

    func attempt(
        _ batch: [MappedRecord], grant: AccessGrant, attempt: Int, transport: any HTTPTransport,
        clock: any DeliveryClock
    ) async
        -> (verdicts: [AttemptVerdict], requests: Int)
    {
        let dataExtension = target.reference(for: batch[0])
        var verdicts = [AttemptVerdict?](repeating: nil, count: batch.count)
        var requests = 0
        func post(_ rows: Range<Int>) async -> Answer {
            requests += 1
            let answer = await self.post(
                batch[rows], to: dataExtension, grant: grant, attempt: attempt, transport: transport)
            if case .refused = answer, rows.count > 1 { carriedByRefusedCalls.insert(batch[rows]) }
            return answer
        }
        /// A transient failure's verdict for one row, saying so when an earlier refused call may have saved it.
        func ended(_ verdict: AttemptVerdict, _ index: Int) -> AttemptVerdict {
            guard case .retry(let code, let message, let retryAfter) = verdict,
                carriedByRefusedCalls.contains(batch[index].line)
            else { return verdict }
            return .retry(code: code, message: message + Self.maySavedNote, retryAfter: retryAfter)
        }
        // Rows from `next` on are still to send, in input order.
        var next = batch.startIndex
        search: while next < batch.endIndex {
            let rows = next..<batch.endIndex
            switch await post(rows) {
            case .accepted:
                for index in rows { verdicts[index] = .done(.delivered) }
                next = batch.endIndex
            case .ended(let verdict):
                for index in rows { verdicts[index] = ended(verdict, index) }
                next = batch.endIndex
            case .refused(let outcome) where rows.count == 1:
                verdicts[rows.lowerBound] = .done(outcome)
                next = batch.endIndex
            case .refused(var firstRefusal):
                // The first refused row is in [low, high); the rows before `low` were accepted by a probe.
                var (low, high) = (rows.lowerBound, rows.upperBound)
                while high - low > 1 {
                    let middle = (low + high) / 2
                    switch await post(low..<middle) {
                    case .accepted:
                        for index in low..<middle { verdicts[index] = .done(.delivered) }
                        low = middle
                    case .refused(let outcome):
                        firstRefusal = outcome
                        high = middle
                    case .ended(let verdict):
                        for index in low..<middle { verdicts[index] = ended(verdict, index) }
                        next = middle
                        break search
                    }
                }
                // The last refused call that carried this row is the API's word on it.
                verdicts[low] = .done(firstRefusal)
                next = low + 1
            }
        }
        // Rows no request carried in this attempt: a neighbour's transient failure ended it before them.
        for index in next..<batch.endIndex where verdicts[index] == nil { verdicts[index] = .notSent }
        return (
            verdicts.map { $0 ?? .retry(code: "internal", message: "no answer for this row", retryAfter: nil) },
            requests
        )
    }

    /// One rowset call for `rows`, and what its answer means.
    private func post(
        _ rows: ArraySlice<MappedRecord>, to dataExtension: DataExtensionReference, grant: AccessGrant, attempt: Int,
        transport: any HTTPTransport
    ) async -> Answer {
        let first = rows[rows.startIndex]
        let request = TransportRequest(
            method: "POST",
            url: MarketingCloudREST.url(grant, "hub/v1/dataevents/\(dataExtension.pathSegment)/rowset"),
            headers: MarketingCloudREST.headers(grant),
            body: JSONWriter.bytes(.array(rows.map(row))),
            context: RequestContext(line: first.line, identity: first.identity, attempt: attempt))
        let response: TransportResponse
        switch await send(request, transport: transport) {
        case .failed(let verdict): return .ended(verdict)
        case .answered(let answer): response = answer
        }
        if response.status == 200 { return .accepted }
        let json = try? JSONParser.parse(response.body)
        if response.status == 404 {
            return .ended(
                target.unknown(
                    dataExtension, code: "404", message: json?["message"]?.stringValue ?? "not found",
                    advice:
                        "Check action.dataExtension: the external key (Email Studio > Subscribers > Data Extensions > Properties), not the name."
                ))
        }
        let additional = json?["additionalErrors"]?.arrayValue ?? []
        if response.status == 400, json?["errorcode"]?.intValue == 10006 {
            // 10006 without details is transient for Segment's destination (sfmc-operations.ts).
            guard let first = additional.first else {
                return .ended(.retry(code: "10006", message: json?["message"]?.stringValue ?? "", retryAfter: nil))
            }
            let messages = additional.compactMap { $0["message"]?.stringValue }
            return .refused(
                .rejected(
                    code: "10006",
                    message: messages.isEmpty
                        // Sorted: the API lists them in no set order, and one reason must read the same each time.
                        ? (first["message"]?.stringValue ?? "refused") : messages.sorted().joined(separator: "; ")))
        }
        // Everything else as REST says; a refusal of the whole call is searched like a 10006.
        let verdict = MarketingCloudREST.verdict(response, json: json)
        if case .done(let outcome) = verdict { return .refused(outcome) }
        return .ended(verdict)
    }

    func row(_ record: MappedRecord) -> JSONValue {
        var keys: [String: JSONValue] = [:]
        var values: [String: JSONValue] = [:]
        for (name, value) in record.fields {
            if primaryKeys.contains(name) { keys[name] = value } else { values[name] = value }
        }
        return ["keys": .object(keys), "values": .object(values)]
    }
}
