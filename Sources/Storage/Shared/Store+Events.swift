import Foundation
import Letters

/// An event to append, in the transaction of the change it records.
struct NewEvent {
    var job: Int64
    var kind: LetterEvent.Kind
    var details: [String: LetterEvent.Value] = [:]
}

/// Every letter's story: events appended as the last writes of the
/// transaction that changes the letter, and read back by cursor. Written
/// once for both stores.
extension SQLStore {
    /// Appends `events` in the transaction open, each with its job's account
    /// and document. Called last in a transaction: on PostgreSQL the event
    /// lock it takes is held to the commit, so that ids are handed out in
    /// commit order, and a transaction that holds it waits for nothing else.
    func append(_ events: [NewEvent], at now: Date) throws {
        guard !events.isEmpty else { return }
        try takeEventLock()
        // Many events a statement, in their order: a cut of a thousand letters is ten round trips, not a thousand.
        for start in stride(from: 0, to: events.count, by: SQL.rowsPerStatement) {
            let rows = events[start..<min(start + SQL.rowsPerStatement, events.count)].enumerated().map { index, event -> [SQL] in
                ["CAST(\(event.job) AS BIGINT)", "CAST(\(event.kind.rawValue) AS TEXT)", "\(json: LetterEvent.json(event.details))",
                 "CAST(\(index) AS INTEGER)"]
            }
            try database.perform("""
                INSERT INTO events (created_at, job, account, document, kind, details)
                SELECT \(now: now), jobs.id, jobs.account, jobs.document_id, v.column2, v.column3
                FROM (\(SQL.values(rows))) AS v JOIN jobs ON jobs.id = v.column1
                ORDER BY v.column4
                """)
        }
    }

    /// Appends one event of `kind` for every job of `batch` in `state`, with the same details, in one statement.
    func appendForBatch(_ batch: String, state: JobState, kind: LetterEvent.Kind, details: [String: LetterEvent.Value],
                        at now: Date) throws {
        try takeEventLock()
        try database.perform("""
            INSERT INTO events (created_at, job, account, document, kind, details)
            SELECT \(now: now), id, account, document_id, \(kind.rawValue), \(LetterEvent.json(details))
            FROM jobs WHERE batch = \(batch) AND state = \(state.rawValue) ORDER BY id
            """)
    }

    public func events(after cursor: Int64, account: String?, job: Int64?, limit: Int) throws -> [LetterEvent] {
        let ofAccount: SQL = account.map { "AND account = \($0)" as SQL } ?? ""
        let ofJob: SQL = job.map { "AND job = \($0)" as SQL } ?? ""
        return try database.query("""
            SELECT id, \(time: "created_at"), job, account, document, kind, CAST(details AS TEXT) FROM events
            WHERE id > \(cursor) \(ofAccount) \(ofJob) ORDER BY id LIMIT \(limit)
            """) { row in
                guard let kind = LetterEvent.Kind(rawValue: row.text(5)) else {
                    throw StoreError(.unknownValue, "event \(row.int64(0)) has the kind \"\(row.text(5).prefix(40))\", which this build of Courrier does not know; upgrade Courrier")
                }
                return LetterEvent(id: row.int64(0), time: row.text(1), job: row.int64(2), account: row.text(3),
                                   document: row.text(4), kind: kind, details: LetterEvent.details(fromJSON: row.text(6)))
            }
    }

    public func latestEventID() throws -> Int64 {
        try database.queryFirst("SELECT coalesce(max(id), 0) FROM events") { $0.int64(0) } ?? 0
    }
}

/// Letters looked up as operations look for them: by account and
/// document, or listed by account, state, time and bundle.
extension SQLStore {
    public func job(account: String, document: String) throws -> Job? {
        try database.queryFirst("SELECT \(.job) FROM jobs WHERE account = \(account) AND document_id = \(document)") {
            try Job.read($0)
        }
    }

    public func jobs(_ query: JobQuery) throws -> [Job] {
        var conditions: [SQL] = []
        if let account = query.account { conditions.append("account = \(account)") }
        if let state = query.state { conditions.append("state = \(state.rawValue)") }
        if let since = query.since { conditions.append("created_at >= \(moment: since)") }
        if let bundle = query.bundle { conditions.append("batch = \(bundle)") }
        var filter: SQL = ""
        for (index, condition) in conditions.enumerated() {
            let word: SQL = index == 0 ? " WHERE " : " AND "
            filter = "\(filter)\(word)\(condition)"
        }
        return try database.query("""
            SELECT \(.job) FROM jobs \(filter) ORDER BY id DESC LIMIT \(query.limit)
            """) { try Job.read($0) }
    }
}
