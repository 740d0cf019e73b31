import Foundation
import Letters

/// Claims on letters and their settling: who holds which letter, the attempt
/// counted before each is prepared, the batch of decisions recorded at once.
/// Written once for both stores; queueing stays with each backend.
extension SQLStore {
    public func claimQueued(limit: Int, worker: String, lease: TimeInterval, at now: Date) throws -> [ClaimedJob] {
        // Looked at first: a worker polling an empty queue takes no lock.
        let waiting = try database.queryFirst("""
            SELECT count(*) FROM (SELECT 1 FROM jobs WHERE state = 'queued'
                                  AND (claimed_until IS NULL OR claimed_until < \(now: now)) LIMIT 1) AS waiting
            """) { $0.int(0) } ?? 0
        guard waiting > 0 else { return [] }
        // A claim lost with the database's machine is taken again when its lease runs out.
        return try database.lightWrite {
            try database.query("""
                UPDATE jobs SET claimed_by = \(worker), claimed_until = \(now: now, plus: lease)
                WHERE id IN (SELECT id FROM jobs WHERE state = 'queued'
                                 AND (claimed_until IS NULL OR claimed_until < \(now: now))
                             ORDER BY id LIMIT \(limit) \(.skipLocked))
                RETURNING \(.job), document, attempts, letter
                """) { row in
                    ClaimedJob(job: try Job.read(row), document: row.bytes(14), letter: row.optionalBytes(16),
                               attempts: row.int(15))
                }.sorted { $0.job.id < $1.job.id }
        }
    }

    public func job(_ id: Int64) throws -> Job? {
        try database.queryFirst("SELECT \(.job) FROM jobs WHERE id = \(id)") { try Job.read($0) }
    }

    public func jobsAwaitingFunds() throws -> [Job] {
        try database.query("SELECT \(.job) FROM jobs WHERE state = 'awaiting_funds' ORDER BY id") { try Job.read($0) }
    }

    public func attachment(hash: String) throws -> StoredAttachment? {
        try database.queryFirst("""
            SELECT bytes, CASE WHEN normalized THEN 1 ELSE 0 END FROM attachments WHERE hash = \(hash)
            """) { StoredAttachment(bytes: $0.bytes(0), normalized: $0.int(1) != 0) }
    }

    public func startPreparing(job: Int64, worker: String, finished: Int64?) throws -> Bool {
        // One statement: the letter before given back its attempt, this one counted.
        try database.lightWrite {
            try database.query("""
                UPDATE jobs SET attempts = CASE WHEN id = \(job) THEN attempts + 1
                                                WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
                WHERE id IN (\(job), \(finished ?? job)) AND state = 'queued' AND claimed_by = \(worker)
                RETURNING id
                """) { $0.int64(0) }.contains(job)
        }
    }

    public func settle(_ decisions: [PreparationDecision], worker: String, at now: Date) throws -> [ChargeOutcome?] {
        let charged: [Int64] = decisions.compactMap { if case .charge(let job, _, _, _) = $0 { job } else { nil } }
        return try database.write {
            // The wallets are locked first, in account order: two workers
            // charging the same accounts in another order would deadlock.
            if !charged.isEmpty {
                _ = try database.query("""
                    SELECT 1 FROM wallets WHERE account IN (SELECT account FROM jobs WHERE id IN (\(list: charged)))
                    ORDER BY account \(.forUpdate)
                    """) { $0.int(0) }
            }
            var events: [NewEvent] = []
            let outcomes = try decisions.map { decision -> ChargeOutcome? in
                switch decision {
                case .charge(let job, let pages, let price, let placement):
                    return try chargeInTransaction(job: job, pages: pages, priceCents: price, placement: placement,
                                                   claimedBy: worker, events: &events, at: now)
                case .fail(let job, let reason, let code):
                    try failInTransaction(job: job, reason: reason, code: code, claimedBy: worker, events: &events, at: now)
                    return nil
                }
            }
            try append(events, at: now)
            return outcomes
        }
    }

    public func releaseClaims(of workers: [String], at now: Date) throws {
        try database.write {
            for worker in workers {
                try database.perform("""
                    UPDATE jobs SET claimed_by = NULL, claimed_until = NULL WHERE state = 'queued' AND claimed_by = \(worker)
                    """)
                try database.perform("UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = \(worker)")
                try database.perform("UPDATE webhooks SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = \(worker)")
                try database.perform("""
                    UPDATE bundles SET claimed_by = NULL, claimed_until = NULL, claimed_at = NULL
                    WHERE state = 'cutting' AND claimed_by = \(worker)
                    """)
                try releaseSubmissions(worker: worker)
            }
        }
    }
}
