import Foundation
import Letters

/// Accounts and the wallets' ledger: credits, charges and refunds, each in the
/// transaction that changes the job. The wallet's row is changed by one
/// statement that checks the balance, so two workers never spend one euro twice.
extension PostgresStore {
    public func envelopeWindow(account: String) throws -> EnvelopeWindow? {
        try connection.firstRow("SELECT envelope_window FROM accounts WHERE account = $1", [.text(account)]) {
            $0.optionalText(0).flatMap(EnvelopeWindow.init(rawValue:))
        } ?? nil
    }

    public func setEnvelopeWindow(_ window: EnvelopeWindow?, account: String, at now: Date) throws {
        try connection.run("""
            INSERT INTO accounts (account, envelope_window) VALUES ($1, $2)
            ON CONFLICT (account) DO UPDATE SET envelope_window = excluded.envelope_window, updated_at = now()
            """, [.text(account), Self.optional(window?.rawValue)])
    }

    public func charge(job id: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?,
                       at now: Date) throws -> ChargeOutcome {
        try connection.transaction {
            try chargeInTransaction(job: id, pages: pages, priceCents: priceCents, placement: placement, claimedBy: nil)
        }
    }

    /// Charges a job in the transaction open, in one statement: the job
    /// locked, the wallet debited only if it holds enough, the debit written
    /// and the job's state set, or the job left awaiting funds. `claimedBy`:
    /// a queued job is charged only while that worker still holds it; a
    /// worker whose lease ran out and was taken over charges nothing.
    func chargeInTransaction(job id: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?,
                             claimedBy worker: String?) throws -> ChargeOutcome {
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

    public func fail(job id: Int64, reason: String, code: String, at now: Date) throws {
        try failInTransaction(job: id, reason: reason, code: code, claimedBy: nil)
    }

    func failInTransaction(job id: Int64, reason: String, code: String, claimedBy worker: String?) throws {
        try connection.run("""
            UPDATE jobs SET state = 'failed', reason = $2, reason_code = $3, claimed_by = NULL, claimed_until = NULL,
                updated_at = now()
            WHERE id = $1 AND (state = 'awaiting_funds' OR (state = 'queued' AND ($4::text IS NULL OR claimed_by = $4)))
            """, [.integer(id), .text(reason), .text(code), Self.optional(worker)])
    }

    public func cancel(job id: Int64, at now: Date) throws -> CancelOutcome {
        try connection.transaction {
            guard let job = try connection.firstRow("SELECT \(Self.jobColumns) FROM jobs WHERE id = $1 FOR UPDATE",
                                                    [.integer(id)], Self.readJob) else {
                throw StoreError("job \(id) does not exist")
            }
            guard job.state.isCancellable, job.batch == nil else {
                return .notCancellable(job.batch == nil ? job.state : .bundled)
            }
            let refunded = job.state == .prepared ? try refundInTransaction(job: job) : 0
            try connection.run("""
                UPDATE jobs SET state = 'cancelled', claimed_by = NULL, claimed_until = NULL, updated_at = now()
                WHERE id = $1
                """, [.integer(id)])
            return .cancelled(refundedCents: refunded)
        }
    }

    /// Refunds the debit of `job` in the transaction open, as a new entry
    /// that points at it; returns the amount refunded, 0 when it was never charged.
    func refundInTransaction(job: Job) throws -> Int64 {
        guard let (debit, amount) = try connection.firstRow("""
            SELECT id, amount_cents FROM ledger WHERE job = $1 AND kind = 'debit'
            """, [.integer(job.id)], { ($0.int64(0), $0.int64(1)) }) else { return 0 }
        try connection.run("""
            INSERT INTO ledger (account, kind, amount_cents, job, reverses) VALUES ($1, 'refund', $2, $3, $4)
            """, [.text(job.account), .integer(-amount), .integer(job.id), .integer(debit)])
        try addToWallet(job.account, -amount)
        return -amount
    }

    public func credit(account: String, cents: Int64, reference: String, at now: Date) throws -> CreditOutcome {
        guard cents > 0 else { throw StoreError("a credit must be a positive amount, got \(Cents.decimalString(cents))") }
        return try connection.transaction {
            // Recorded once by its reference, whoever tries it at the same time.
            let inserted = try connection.run("""
                INSERT INTO ledger (account, kind, amount_cents, reference) VALUES ($1, 'credit', $2, $3)
                ON CONFLICT (reference) DO NOTHING
                """, [.text(account), .integer(cents), .text(reference)])
            guard inserted == 1 else {
                guard let (existingAccount, amount) = try connection.firstRow("""
                    SELECT account, amount_cents FROM ledger WHERE reference = $1
                    """, [.text(reference)], { ($0.text(0), $0.int64(1)) }) else {
                    throw StoreError("reference \(reference) was neither recorded nor found")
                }
                guard existingAccount == account, amount == cents else {
                    throw StoreError("reference \(reference) was already used to credit \(Cents.decimalString(amount)) to \(existingAccount)")
                }
                return .alreadyCredited(balanceCents: try walletBalance(account))
            }
            return .credited(balanceCents: try addToWallet(account, cents))
        }
    }

    public func balance(account: String) throws -> Int64 {
        try walletBalance(account)
    }

    public func history(account: String) throws -> [LedgerEntry] {
        try connection.rows("""
            SELECT id, account, kind, amount_cents, reference, job, reverses, iso_utc(created_at)
            FROM ledger WHERE account = $1 ORDER BY id
            """, [.text(account)]) { row in
                guard let kind = LedgerEntry.Kind(rawValue: row.text(2)) else {
                    throw StoreError("ledger entry \(row.int64(0)) of \(account) has an unknown kind \"\(row.text(2))\"")
                }
                return LedgerEntry(id: row.int64(0), account: row.text(1), kind: kind,
                                   amountCents: row.int64(3), reference: row.optionalText(4), job: row.optionalInt64(5),
                                   reverses: row.optionalInt64(6), createdAt: row.text(7))
            }
    }

    func walletBalance(_ account: String) throws -> Int64 {
        try connection.firstRow("SELECT balance_cents FROM wallets WHERE account = $1", [.text(account)]) {
            $0.int64(0)
        } ?? 0
    }

    /// Adds a credit or refund to a wallet, creating it; returns the balance after.
    @discardableResult
    func addToWallet(_ account: String, _ cents: Int64) throws -> Int64 {
        try connection.firstRow("""
            INSERT INTO wallets (account, balance_cents) VALUES ($1, $2)
            ON CONFLICT (account) DO UPDATE SET balance_cents = wallets.balance_cents + excluded.balance_cents
            RETURNING balance_cents
            """, [.text(account), .integer(cents)]) { $0.int64(0) } ?? 0
    }
}

extension PostgresStore {
    /// An advisory lock for the rest of the transaction: workers opening a cut at once take turns.
    func takeCutLock() throws {
        try connection.run("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresSchema.cutLock)])
    }

    func refundInTransaction(job: Job, at now: Date) throws -> Int64 {
        try refundInTransaction(job: job)
    }
}
