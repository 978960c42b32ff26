/// Keeps records of one identity in input order while different identities run in parallel.
///
/// The reader takes a ticket for each record, in input order, before it starts the record's task; the task
/// waits until its ticket is first in its identity's lane, and leaves when done. Tickets are taken by one
/// task in sequence, so the lanes' order is the input's order whatever order the tasks start in.
actor IdentityLanes {
    struct Ticket: Sendable, Hashable {
        let identity: String
        let number: Int
    }

    private var queues: [String: [Int]] = [:]
    private var waiting: [Ticket: CheckedContinuation<Void, Never>] = [:]
    private var issued = 0

    func enqueue(_ identity: String) -> Ticket {
        issued += 1
        queues[identity, default: []].append(issued)
        return Ticket(identity: identity, number: issued)
    }

    /// Returns when every earlier ticket of the same identity has left.
    func wait(_ ticket: Ticket) async {
        if queues[ticket.identity]?.first == ticket.number { return }
        await withCheckedContinuation { waiting[ticket] = $0 }
    }

    func leave(_ ticket: Ticket) {
        guard var queue = queues[ticket.identity], queue.first == ticket.number else { return }
        queue.removeFirst()
        if let next = queue.first {
            queues[ticket.identity] = queue
            waiting.removeValue(forKey: Ticket(identity: ticket.identity, number: next))?.resume()
        } else {
            // Forget finished identities, so memory follows what is in flight, not the input's size.
            queues.removeValue(forKey: ticket.identity)
        }
    }
}
