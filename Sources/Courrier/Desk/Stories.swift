import Foundation
import Letters
import Storage

/// Operations' answers about letters: one letter's story ("was my invoice
/// 2026/0116 posted, and when?"), a listing, and the events as they come.
public final class Stories {
    private let store: RecordStore

    init(store: RecordStore) {
        self.store = store
    }

    /// A letter named as an operator names it: its job number, or its
    /// account and document id.
    public enum Reference: Sendable, Equatable {
        case job(Int64)
        case document(account: String, id: String)
    }

    /// A letter's story: the job as it stands and every event, oldest first.
    public struct Story: Sendable {
        public var job: Job
        public var events: [LetterEvent]

        /// Where it sits in its bundle, as its `bundled` event says.
        public var placement: LetterEvent? { events.last { $0.kind == .bundled } }
        /// Its failure, with code and reason, as its last `failed` event says.
        public var failure: LetterEvent? { job.state == .failed ? events.last { $0.kind == .failed } : nil }
    }

    /// The most events one letter has: its story is read in one go.
    static let storyLimit = 10_000

    public func story(of reference: Reference) throws -> Story {
        let found: Job?
        switch reference {
        case .job(let id): found = try store.job(id)
        case .document(let account, let id): found = try store.job(account: account, document: id)
        }
        guard let job = found else {
            switch reference {
            case .job(let id): throw MailRoomError(.notFound, "there is no job \(id)")
            case .document(let account, let id):
                throw MailRoomError(.notFound, "account \(account) has no letter with the document id \(id)")
            }
        }
        return Story(job: job, events: try store.events(after: 0, account: nil, job: job.id, limit: Self.storyLimit))
    }

    public func letters(_ query: JobQuery) throws -> [Job] {
        try store.jobs(query)
    }

    public func events(after cursor: Int64, account: String?, limit: Int) throws -> [LetterEvent] {
        try store.events(after: cursor, account: account, job: nil, limit: limit)
    }

    /// Hands each event after `cursor` to `each`, in order, then waits for
    /// new ones, looking every `poll` seconds, until `stop` is requested.
    /// Returns the cursor reached.
    func follow(after cursor: Int64, account: String?, poll: TimeInterval, stop: StopRequest,
                _ each: (LetterEvent) -> Void) throws -> Int64 {
        var cursor = cursor
        while !stop.isRequested {
            let events = try store.events(after: cursor, account: account, job: nil, limit: 500)
            for event in events {
                each(event)
                cursor = event.id
            }
            if events.count < 500 { stop.wait(poll) }
        }
        return cursor
    }
}
