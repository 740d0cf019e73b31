import Foundation
import Letters

/// Charging a letter on PostgreSQL: the wallet's row is changed by one
/// statement that checks the balance, so two workers never spend one euro twice.
extension PostgresStore {
    /// Charges a job in the transaction open, in one statement: the job
    /// locked, the wallet debited only if it holds enough, the debit written
    /// and the job's state set, or the job left awaiting funds. `claimedBy`:
    /// a queued job is charged only while that worker still holds it; a
    /// worker whose lease ran out and was taken over charges nothing.
    func chargeInTransaction(job id: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?,
                             claimedBy worker: String?, at now: Date) throws -> ChargeOutcome {
        guard priceCents > 0 else { throw StoreError("job \(id) has no price (\(priceCents) cents)") }
        // Every part of the statement sees the rows as they were before it, so
        // `before` gives the state and balance that the others started from.
        let row = try connection.firstRow("""
            WITH before AS (
                SELECT j.id, j.account, j.state, j.claimed_by,
                       coalesce((SELECT balance_cents FROM wallets w WHERE w.account = j.account), 0) AS balance
                FROM jobs j WHERE j.id = $1 FOR UPDATE),
            target AS (
                SELECT * FROM before
                WHERE state = 'awaiting_funds' OR (state = 'queued' AND ($4::text IS NULL OR claimed_by = $4))),
            paid AS (
                UPDATE wallets w SET balance_cents = w.balance_cents - $2
                FROM target WHERE w.account = target.account AND w.balance_cents >= $2
                RETURNING w.balance_cents),
            debit AS (
                INSERT INTO ledger (account, kind, amount_cents, job)
                SELECT account, 'debit', -$2, id FROM target WHERE EXISTS (SELECT 1 FROM paid)),
            updated AS (
                UPDATE jobs SET
                    state = CASE WHEN EXISTS (SELECT 1 FROM paid) THEN 'prepared' ELSE 'awaiting_funds' END,
                    pages = $3, price_cents = $2,
                    reason = CASE WHEN EXISTS (SELECT 1 FROM paid) THEN NULL ELSE jobs.reason END,
                    stream = coalesce($5, jobs.stream), sheets = coalesce($6, jobs.sheets),
                    sort_key = coalesce($7, jobs.sort_key),
                    claimed_by = NULL, claimed_until = NULL, updated_at = now()
                FROM target WHERE jobs.id = target.id
                RETURNING jobs.state)
            SELECT before.state, (SELECT state FROM updated), (SELECT balance_cents FROM paid), before.balance
            FROM before
            """, [.integer(id), .integer(priceCents), .integer(Int64(pages)), Self.optional(worker),
                  Self.optional(placement?.stream.name), placement.map { .integer(Int64($0.sheets)) } ?? .null,
                  Self.optional(placement?.sortKey)]) { row in
                (before: JobState(rawValue: row.text(0)) ?? .failed, after: row.optionalText(1).flatMap(JobState.init(rawValue:)),
                 paid: row.optionalInt64(2), balance: row.int64(3))
            }
        guard let row else { throw StoreError("job \(id) does not exist") }
        switch (row.after, row.paid) {
        case (.prepared?, let balance?): return .prepared(balanceAfterCents: balance)
        case (.awaitingFunds?, _): return .awaitingFunds(balanceCents: row.balance)
        default: return .skipped(row.before)
        }
    }

    /// An advisory lock for the rest of the transaction: workers opening a cut at once take turns.
    func takeCutLock() throws {
        try connection.run("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresSchema.cutLock)])
    }
}
