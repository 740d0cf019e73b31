import Foundation
import Letters

/// Accounts and the wallets' ledger: credits, refunds and failures, each in
/// the transaction that changes the job. Written once for both stores.
extension SQLStore {
    public func envelopeWindow(account: String) throws -> EnvelopeWindow? {
        try database.queryFirst("SELECT envelope_window FROM accounts WHERE account = \(account)") {
            $0.optionalText(0).flatMap(EnvelopeWindow.init(rawValue:))
        } ?? nil
    }

    public func setEnvelopeWindow(_ window: EnvelopeWindow?, account: String, at now: Date) throws {
        try database.write {
            try database.perform("""
                INSERT INTO accounts (account, envelope_window, updated_at) VALUES (\(account), \(window?.rawValue), \(now: now))
                ON CONFLICT (account) DO UPDATE SET envelope_window = excluded.envelope_window, updated_at = excluded.updated_at
                """)
        }
    }

    public func charge(job id: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?,
                       at now: Date) throws -> ChargeOutcome {
        try database.write {
            var events: [NewEvent] = []
            let outcome = try chargeInTransaction(job: id, pages: pages, priceCents: priceCents, placement: placement,
                                                  claimedBy: nil, events: &events, at: now)
            try append(events, at: now)
            return outcome
        }
    }

    public func fail(job id: Int64, reason: String, code: FailureCode, at now: Date) throws {
        try database.write {
            var events: [NewEvent] = []
            try failInTransaction(job: id, reason: reason, code: code, claimedBy: nil, events: &events, at: now)
            try append(events, at: now)
        }
    }

    /// Charges a job in the transaction open: the wallet debited if it holds
    /// enough, the debit written and the job prepared, or the job left
    /// awaiting funds. `claimedBy`: a queued job only while that worker still
    /// holds it; a worker whose lease ran out and was taken over charges nothing.
    /// What changed is added to `events`, for the caller to append last.
    func chargeInTransaction(job id: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?,
                             claimedBy worker: String?, events: inout [NewEvent], at now: Date) throws -> ChargeOutcome {
        guard priceCents > 0 else { throw StoreError(.inconsistent, "job \(id) has no price (\(priceCents) cents)") }
        guard let (state, holder, account) = try database.queryFirst("""
            SELECT state, claimed_by, account FROM jobs WHERE id = \(id) \(.forUpdate)
            """, { (try JobState.stored($0.text(0)), $0.optionalText(1), $0.text(2)) }) else {
            throw StoreError(.notFound, "job \(id) does not exist")
        }
        guard state == .awaitingFunds || (state == .queued && (worker == nil || holder == worker)) else {
            return .skipped(state)
        }
        // The balance is checked by the statement that lowers it: two workers
        // never spend one euro twice, and the CHECK on wallets never fires.
        let paid = try database.queryFirst("""
            UPDATE wallets SET balance_cents = balance_cents - \(priceCents)
            WHERE account = \(account) AND balance_cents >= \(priceCents)
            RETURNING balance_cents
            """) { $0.int64(0) }
        if paid != nil {
            try database.perform("""
                INSERT INTO ledger (account, kind, amount_cents, job, created_at)
                VALUES (\(account), 'debit', \(-priceCents), \(id), \(now: now))
                """)
        }
        let outcome: SQL = paid == nil ? "state = 'awaiting_funds'" : "state = 'prepared', reason = NULL"
        try database.perform("""
            UPDATE jobs SET \(outcome), pages = \(pages), price_cents = \(priceCents),
                stream = coalesce(\(placement?.stream.name), stream), sheets = coalesce(\(placement?.sheets), sheets),
                sort_key = coalesce(\(placement?.sortKey), sort_key),
                claimed_by = NULL, claimed_until = NULL, updated_at = \(now: now)
            WHERE id = \(id)
            """)
        var details: [String: LetterEvent.Value] = ["pages": .integer(Int64(pages)), "price_cents": .integer(priceCents)]
        if let sheets = placement?.sheets { details["sheets"] = .integer(Int64(sheets)) }
        if let paid {
            details["balance_after_cents"] = .integer(paid)
            events.append(NewEvent(job: id, kind: .prepared, details: details))
            return .prepared(balanceAfterCents: paid)
        }
        let balance = try walletBalance(account)
        // A letter still short at a later try has told its story already.
        if state != .awaitingFunds {
            details["balance_cents"] = .integer(balance)
            events.append(NewEvent(job: id, kind: .awaitingFunds, details: details))
        }
        return .awaitingFunds(balanceCents: balance)
    }

    /// Fails a job in the transaction open. `claimedBy`: a queued job only
    /// while that worker still holds it. The failure is added to `events`.
    func failInTransaction(job id: Int64, reason: String, code: FailureCode, claimedBy worker: String?,
                           events: inout [NewEvent], at now: Date) throws {
        let failed = try database.perform("""
            UPDATE jobs SET state = 'failed', reason = \(reason), reason_code = \(code), claimed_by = NULL, claimed_until = NULL,
                updated_at = \(now: now)
            WHERE id = \(id) AND (state = 'awaiting_funds'
                                  OR (state = 'queued' AND (CAST(\(worker) AS TEXT) IS NULL OR claimed_by = \(worker))))
            """)
        if failed == 1 {
            events.append(NewEvent(job: id, kind: .failed, details: [
                "stage": .string("preparation"), "code": .string(code.rawValue), "reason": .string(reason)]))
        }
    }

    public func cancel(job id: Int64, at now: Date) throws -> CancelOutcome {
        try database.write {
            guard let job = try database.queryFirst("SELECT \(.job) FROM jobs WHERE id = \(id) \(.forUpdate)", { try Job.read($0) }) else {
                throw StoreError(.notFound, "job \(id) does not exist")
            }
            guard job.state.isCancellable, job.batch == nil else {
                return .notCancellable(job.batch == nil ? job.state : .bundled)
            }
            let refunded = job.state == .prepared ? try refundInTransaction(job: job, at: now) : 0
            try database.perform("""
                UPDATE jobs SET state = 'cancelled', claimed_by = NULL, claimed_until = NULL, updated_at = \(now: now)
                WHERE id = \(id)
                """)
            try append([NewEvent(job: id, kind: .cancelled, details: ["refunded_cents": .integer(refunded)])], at: now)
            return .cancelled(refundedCents: refunded)
        }
    }

    /// Refunds the debit of `job` in the transaction open, as a new entry
    /// that points at it; returns the amount refunded, 0 when it was never charged.
    func refundInTransaction(job: Job, at now: Date) throws -> Int64 {
        guard let (debit, amount) = try database.queryFirst("""
            SELECT id, amount_cents FROM ledger WHERE job = \(job.id) AND kind = 'debit'
            """, { ($0.int64(0), $0.int64(1)) }) else { return 0 }
        try database.perform("""
            INSERT INTO ledger (account, kind, amount_cents, job, reverses, created_at)
            VALUES (\(job.account), 'refund', \(-amount), \(job.id), \(debit), \(now: now))
            """)
        try addToWallet(job.account, -amount)
        return -amount
    }

    public func credit(account: String, cents: Int64, reference: String, at now: Date) throws -> CreditOutcome {
        guard cents > 0 else { throw StoreError(.invalidAmount, "a credit must be a positive amount, got \(Cents.decimalString(cents))") }
        return try database.write {
            // Recorded once by its reference, whoever tries it at the same time.
            let inserted = try database.perform("""
                INSERT INTO ledger (account, kind, amount_cents, reference, created_at)
                VALUES (\(account), 'credit', \(cents), \(reference), \(now: now))
                ON CONFLICT (reference) DO NOTHING
                """)
            guard inserted == 1 else {
                guard let (existingAccount, amount) = try database.queryFirst("""
                    SELECT account, amount_cents FROM ledger WHERE reference = \(reference)
                    """, { ($0.text(0), $0.int64(1)) }) else {
                    throw StoreError(.inconsistent, "reference \(reference) was neither recorded nor found")
                }
                guard existingAccount == account, amount == cents else {
                    throw StoreError(.referenceUsed, "reference \(reference) was already used to credit \(Cents.decimalString(amount)) to \(existingAccount)")
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
        try database.query("""
            SELECT id, account, kind, amount_cents, reference, job, reverses, \(time: "created_at")
            FROM ledger WHERE account = \(account) ORDER BY id
            """) { row in
                guard let kind = LedgerEntry.Kind(rawValue: row.text(2)) else {
                    throw StoreError(.unknownValue, "ledger entry \(row.int64(0)) of \(account) has an unknown kind \"\(row.text(2))\"")
                }
                return LedgerEntry(id: row.int64(0), account: row.text(1), kind: kind,
                                   amountCents: row.int64(3), reference: row.optionalText(4), job: row.optionalInt64(5),
                                   reverses: row.optionalInt64(6), createdAt: row.text(7))
            }
    }

    func walletBalance(_ account: String) throws -> Int64 {
        try database.queryFirst("SELECT balance_cents FROM wallets WHERE account = \(account)") { $0.int64(0) } ?? 0
    }

    /// Adds `cents` to a wallet, creating it for a credit; returns the balance after.
    @discardableResult
    func addToWallet(_ account: String, _ cents: Int64) throws -> Int64 {
        // A debit updates the wallet in place: an upsert would check the CHECK
        // constraint against the negative amount it first tries to insert.
        if cents < 0 {
            return try database.queryFirst("""
                UPDATE wallets SET balance_cents = balance_cents + \(cents) WHERE account = \(account) RETURNING balance_cents
                """) { $0.int64(0) } ?? 0
        }
        return try database.queryFirst("""
            INSERT INTO wallets (account, balance_cents) VALUES (\(account), \(cents))
            ON CONFLICT (account) DO UPDATE SET balance_cents = wallets.balance_cents + excluded.balance_cents
            RETURNING balance_cents
            """) { $0.int64(0) } ?? 0
    }
}
