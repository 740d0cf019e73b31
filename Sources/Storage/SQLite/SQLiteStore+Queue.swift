import Checksums
import Foundation
import Letters

/// The queue: documents in, letters claimed, prepared or failed, and the attachments they carry.
extension SQLiteStore {
    static let jobColumns = Job.columns()

    static func readJob(_ row: SQLiteStatement) -> Job { Job.read(row) }

    public func enqueue(_ submission: Submission, at now: Date) throws -> EnqueueOutcome {
        let time = storeTimestamp(now)
        let documentHash = SHA256.hex(submission.document)
        let termsHash = submission.terms.map { SHA256.hex($0) }
        let logoHash = submission.logo.map { SHA256.hex($0) }
        return try connection.writeTransaction {
            let storeAttachment = try connection.prepare("""
                INSERT INTO attachments (hash, bytes, size, created_at, normalized) VALUES (?1, ?2, ?3, ?4, 1)
                ON CONFLICT (hash) DO UPDATE SET normalized = 1
                """)
            for (bytes, hash) in [(submission.terms, termsHash), (submission.logo, logoHash)] {
                if let bytes, let hash {
                    try storeAttachment.run([.text(hash), .blob(bytes), .integer(Int64(bytes.count)), .text(time)])
                }
            }
            let state = submission.initialState
            let existing = try connection.prepare("""
                SELECT \(Self.jobColumns), document_hash FROM jobs WHERE account = ?1 AND document_id = ?2
                """).firstRow([.text(submission.account), .text(submission.documentID)]) { row in
                    (Self.readJob(row), row.text(14))
                }
            if let (job, hash) = existing {
                guard submission.replaces(job, storedHash: hash, newHash: documentHash) else {
                    return EnqueueOutcome(job: job, created: false)
                }
                try connection.prepare("""
                    UPDATE jobs SET state = ?2, document = ?3, document_hash = ?4, terms_hash = ?5, reason = ?6,
                        pages = NULL, price_cents = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = ?7,
                        logo_hash = ?8, reason_code = ?9, attempts = 0
                    WHERE id = ?1
                    """).run([.integer(job.id), .text(state.rawValue), .blob(submission.document), .text(documentHash),
                              termsHash.map(SQLiteValue.text) ?? .null, submission.failure.map(SQLiteValue.text) ?? .null,
                              .text(time), logoHash.map(SQLiteValue.text) ?? .null,
                              submission.failureCode.map(SQLiteValue.text) ?? .null])
                return EnqueueOutcome(job: try insertedJob(job.id), created: true)
            }
            try connection.prepare("""
                INSERT INTO jobs (account, document_id, state, document, document_hash, terms_hash, reason,
                                  created_at, updated_at, logo_hash, reason_code)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)
                """).run([.text(submission.account), .text(submission.documentID), .text(state.rawValue),
                          .blob(submission.document), .text(documentHash),
                          termsHash.map(SQLiteValue.text) ?? .null, submission.failure.map(SQLiteValue.text) ?? .null,
                          .text(time), logoHash.map(SQLiteValue.text) ?? .null,
                          submission.failureCode.map(SQLiteValue.text) ?? .null])
            return EnqueueOutcome(job: try insertedJob(connection.lastInsertedRowID), created: true)
        }
    }

    public func claimingWorkers() throws -> [String] {
        try connection.prepare("""
            SELECT claimed_by FROM jobs WHERE state = 'queued' AND claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM bundles WHERE state = 'cutting' AND claimed_by IS NOT NULL
            """).rows([]) { $0.text(0) }
    }

    /// The embedded store has no table for the product to insert into: the
    /// product queues through `courrier enqueue`.
    public func takeSubmissions(limit: Int, worker: String, lease: TimeInterval, maximumBytes: Int) throws -> [ProductSubmission] {
        []
    }

    public func renewSubmissions(worker: String, lease: TimeInterval) throws {}

    public func releaseSubmissions(worker: String) throws {}

    /// The job a write of this transaction just made or changed.
    private func insertedJob(_ id: Int64) throws -> Job {
        guard let job = try job(id) else { throw StoreError("job \(id) was written and cannot be read back") }
        return job
    }
}
