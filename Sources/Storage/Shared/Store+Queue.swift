import Checksums
import Foundation
import Letters

/// Documents in: a letter queued once by its account and document id, its
/// attachments kept once by their hash, a failed letter queued again when
/// its document changes. Written once for both stores.
extension SQLStore {
    public func enqueue(_ submission: Submission, at now: Date) throws -> EnqueueOutcome {
        let documentHash = SHA256.hex(submission.document)
        let termsHash = submission.terms.map { SHA256.hex($0) }
        let logoHash = submission.logo.map { SHA256.hex($0) }
        let state = submission.initialState
        return try database.write {
            for (bytes, hash) in [(submission.terms, termsHash), (submission.logo, logoHash)] {
                if let bytes, let hash {
                    try database.perform("""
                        INSERT INTO attachments (hash, bytes, size, created_at, normalized)
                        VALUES (\(hash), \(.bytes(bytes)), \(bytes.count), \(now: now), \(true))
                        ON CONFLICT (hash) DO UPDATE SET normalized = \(true)
                        """)
                }
            }
            if let source = submission.source {
                // Taken from the product's table in the transaction that queues it: once.
                try database.perform("DELETE FROM submissions WHERE id = \(source)")
            }
            if let inserted = try database.queryFirst("""
                INSERT INTO jobs (account, document_id, state, document, document_hash, terms_hash, reason,
                                  created_at, updated_at, logo_hash, reason_code, letter)
                VALUES (\(submission.account), \(submission.documentID), \(state.rawValue), \(.bytes(submission.document)),
                        \(documentHash), \(termsHash), \(submission.failure), \(now: now), \(now: now), \(logoHash),
                        \(submission.failureCode), \(submission.letter.map(SQLValue.bytes) ?? .null))
                ON CONFLICT (account, document_id) DO NOTHING
                RETURNING \(.job)
                """, { try Job.read($0) }) {
                try append([submission.event(job: inserted.id)], at: now)
                return EnqueueOutcome(job: inserted, created: true)
            }
            guard let (job, hash) = try database.queryFirst("""
                SELECT \(.job), document_hash FROM jobs
                WHERE account = \(submission.account) AND document_id = \(submission.documentID) \(.forUpdate)
                """, { (try Job.read($0), $0.text(14)) }) else {
                throw StoreError(.inconsistent, "job \(submission.account)/\(submission.documentID) was neither inserted nor found")
            }
            guard submission.replaces(job, storedHash: hash, newHash: documentHash) else {
                return EnqueueOutcome(job: job, created: false)
            }
            let replaced = try database.queryFirst("""
                UPDATE jobs SET state = \(state.rawValue), document = \(.bytes(submission.document)),
                    document_hash = \(documentHash), terms_hash = \(termsHash), reason = \(submission.failure),
                    pages = NULL, price_cents = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = \(now: now),
                    logo_hash = \(logoHash), reason_code = \(submission.failureCode), attempts = 0,
                    letter = \(submission.letter.map(SQLValue.bytes) ?? .null)
                WHERE id = \(job.id)
                RETURNING \(.job)
                """) { try Job.read($0) }
            try append([submission.event(job: job.id)], at: now)
            return EnqueueOutcome(job: replaced ?? job, created: true)
        }
    }

    public func claimingWorkers() throws -> [String] {
        let submissions: SQL = database.dialect.hasSubmissions
            ? "UNION SELECT claimed_by FROM submissions WHERE claimed_by IS NOT NULL" : ""
        return try database.query("""
            SELECT claimed_by FROM jobs WHERE state = 'queued' AND claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM webhooks WHERE claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM bundles WHERE state = 'cutting' AND claimed_by IS NOT NULL
            \(submissions)
            """) { $0.text(0) }
    }
}

extension Submission {
    /// What queueing it tells: queued, or failed at intake with its code and reason.
    func event(job: Int64) -> NewEvent {
        guard let failure else { return NewEvent(job: job, kind: .queued) }
        return NewEvent(job: job, kind: .failed, details: [
            "stage": .string("intake"), "code": .string((failureCode ?? .unknown).rawValue), "reason": .string(failure)])
    }
}
