import Checksums
import Foundation
import Letters

/// The queue: documents in, letters claimed (skipping those another worker
/// has locked), prepared or failed, and the attachments they carry.
extension PostgresStore {
    static let jobColumns = Job.columns { "iso_utc(\($0))" }

    static func readJob(_ row: PostgresRow) -> Job { Job.read(row) }

    public func enqueue(_ submission: Submission, at now: Date) throws -> EnqueueOutcome {
        let documentHash = SHA256.hex(submission.document)
        let termsHash = submission.terms.map { SHA256.hex($0) }
        let logoHash = submission.logo.map { SHA256.hex($0) }
        let state = submission.initialState
        return try connection.transaction {
            for (bytes, hash) in [(submission.terms, termsHash), (submission.logo, logoHash)] {
                if let bytes, let hash {
                    try connection.run("""
                        INSERT INTO attachments (hash, bytes, size, normalized) VALUES ($1, $2, $3, true)
                        ON CONFLICT (hash) DO UPDATE SET normalized = true
                        """, [.text(hash), .bytes(bytes), .integer(Int64(bytes.count))])
                }
            }
            if let source = submission.source {
                // Taken from the product's table in the transaction that queues it: once.
                try connection.run("DELETE FROM submissions WHERE id = $1", [.integer(source)])
            }
            let inserted = try connection.firstRow("""
                INSERT INTO jobs (account, document_id, state, document, document_hash, terms_hash, reason,
                                  logo_hash, reason_code)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT (account, document_id) DO NOTHING
                RETURNING \(Self.jobColumns)
                """, [.text(submission.account), .text(submission.documentID), .text(state.rawValue),
                      .bytes(submission.document), .text(documentHash), Self.optional(termsHash),
                      Self.optional(submission.failure), Self.optional(logoHash), Self.optional(submission.failureCode)],
                Self.readJob)
            if let inserted { return EnqueueOutcome(job: inserted, created: true) }
            guard let (job, hash) = try connection.firstRow("""
                SELECT \(Self.jobColumns), document_hash FROM jobs WHERE account = $1 AND document_id = $2 FOR UPDATE
                """, [.text(submission.account), .text(submission.documentID)], { (Self.readJob($0), $0.text(14)) }) else {
                throw StoreError("job \(submission.account)/\(submission.documentID) was neither inserted nor found")
            }
            guard submission.replaces(job, storedHash: hash, newHash: documentHash) else {
                return EnqueueOutcome(job: job, created: false)
            }
            let replaced = try connection.firstRow("""
                UPDATE jobs SET state = $2, document = $3, document_hash = $4, terms_hash = $5, reason = $6,
                    pages = NULL, price_cents = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = now(),
                    logo_hash = $7, reason_code = $8, attempts = 0
                WHERE id = $1
                RETURNING \(Self.jobColumns)
                """, [.integer(job.id), .text(state.rawValue), .bytes(submission.document), .text(documentHash),
                      Self.optional(termsHash), Self.optional(submission.failure), Self.optional(logoHash),
                      Self.optional(submission.failureCode)], Self.readJob)
            return EnqueueOutcome(job: replaced ?? job, created: true)
        }
    }

    public func claimingWorkers() throws -> [String] {
        try connection.rows("""
            SELECT claimed_by FROM jobs WHERE state = 'queued' AND claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM bundles WHERE state = 'cutting' AND claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM submissions WHERE claimed_by IS NOT NULL
            """) { $0.text(0) }
    }

    /// Documents the product inserted into `submissions`, taken for `lease`
    /// seconds by `worker`: the oldest of each account in turn, so that one
    /// account's thousand rows do not hold up another's one; another worker
    /// skips them. Each
    /// column's size is read before its value: one over `maximumBytes` is
    /// left in the table, so that a 600 MB row costs no memory and fails
    /// alone. The account and id are cut to a length no real one has.
    public func takeSubmissions(limit: Int, worker: String, lease: TimeInterval, maximumBytes: Int) throws -> [ProductSubmission] {
        let waiting = try connection.firstRow("""
            SELECT EXISTS (SELECT 1 FROM submissions WHERE claimed_until IS NULL OR claimed_until < now())
            """) { $0.bool(0) } ?? false
        guard waiting else { return [] }
        return try connection.transaction {
            try connection.rows("""
                UPDATE submissions SET claimed_by = $1, claimed_until = now() + $2 * interval '1 second'
                WHERE id IN (SELECT id FROM submissions WHERE id IN (
                                 SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY account ORDER BY id) AS turn
                                                 FROM submissions WHERE claimed_until IS NULL OR claimed_until < now()) waiting
                                 ORDER BY turn, id LIMIT $3)
                             FOR UPDATE SKIP LOCKED)
                RETURNING id, substr(account, 1, 1000), substr(document_id, 1, 1000),
                          octet_length(document), CASE WHEN octet_length(document) <= $4 THEN document END,
                          octet_length(terms), CASE WHEN octet_length(terms) <= $4 THEN terms END,
                          octet_length(logo), CASE WHEN octet_length(logo) <= $4 THEN logo END
                """, [.text(worker), Self.seconds(lease), .integer(Int64(limit)), .integer(Int64(maximumBytes))]) { row in
                    var oversized: [(column: String, bytes: Int64)] = []
                    for (column, index) in [("document", 3), ("terms", 5), ("logo", 7)] as [(String, Int32)]
                    where !row.isNull(index) && row.int64(index) > Int64(maximumBytes) {
                        oversized.append((column, row.int64(index)))
                    }
                    return ProductSubmission(id: row.int64(0), account: row.text(1), documentID: row.text(2),
                                             document: row.isNull(4) ? [] : Array(row.text(4).utf8),
                                             terms: row.isNull(6) ? nil : row.bytes(6), logo: row.isNull(8) ? nil : row.bytes(8),
                                             oversized: oversized)
                }.sorted { $0.id < $1.id }
        }
    }

    public func renewSubmissions(worker: String, lease: TimeInterval) throws {
        try connection.run("""
            UPDATE submissions SET claimed_until = now() + $2 * interval '1 second' WHERE claimed_by = $1
            """, [.text(worker), Self.seconds(lease)])
    }

    public func releaseSubmissions(worker: String) throws {
        try connection.run("UPDATE submissions SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1",
                           [.text(worker)])
    }

    static func optional(_ text: String?) -> PostgresValue {
        text.map(PostgresValue.text) ?? .null
    }
}
