/// Keeps records of one identity in input order while different identities run in parallel.
///
/// The reader takes a ticket for each record or batch, in input order, naming every identity in it, before it
/// starts the task; the task waits until its ticket is first in each of its identities' lanes, and leaves when
/// done. Tickets are issued by one task in sequence, so every lane's order is the input's order whatever order
/// the tasks start in, and a batch that shares identities with an earlier one waits for it (no deadlock:
/// tickets are ordered the same way in every lane).
actor IdentityLanes {
    struct Ticket: Sendable, Hashable {
        let number: Int
        let identities: [String]
    }

    private var queues: [String: [Int]] = [:]
    private var waiting: [Int: (ticket: Ticket, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var issued = 0

    func enqueue(_ identities: [String]) -> Ticket {
        issued += 1
        var unique: [String] = []
        if identities.count <= 16 {
            // A record, or a small batch: a scan costs less than a set.
            for identity in identities where !unique.contains(identity) { unique.append(identity) }
        } else {
            // An import's batch holds up to 100,000 identities: a scan of what is kept would be quadratic.
            var seen = Set<String>(minimumCapacity: identities.count)
            unique.reserveCapacity(identities.count)
            for identity in identities where seen.insert(identity).inserted { unique.append(identity) }
        }
        for identity in unique { queues[identity, default: []].append(issued) }
        return Ticket(number: issued, identities: unique)
    }

    /// Returns when every earlier ticket sharing an identity has left.
    func wait(_ ticket: Ticket) async {
        if isFirst(ticket) { return }
        await withCheckedContinuation { waiting[ticket.number] = (ticket, $0) }
    }

    func leave(_ ticket: Ticket) {
        var heads: [Int] = []
        for identity in ticket.identities {
            guard var queue = queues[identity], queue.first == ticket.number else { continue }
            queue.removeFirst()
            if let next = queue.first {
                queues[identity] = queue
                heads.append(next)
            } else {
                // Forget finished identities, so memory follows what is in flight, not the input's size.
                queues.removeValue(forKey: identity)
            }
        }
        for number in heads {
            if let entry = waiting[number], isFirst(entry.ticket) {
                waiting.removeValue(forKey: number)
                entry.continuation.resume()
            }
        }
    }

    private func isFirst(_ ticket: Ticket) -> Bool {
        ticket.identities.allSatisfy { queues[$0]?.first == ticket.number }
    }
}
