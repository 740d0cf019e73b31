import Foundation
import Letters

/// Accounts and the wallets' ledger: credits, charges and refunds, each in the transaction that changes the job.
extension SQLiteStore {
    public func envelopeWindow(account: String) throws -> EnvelopeWindow? {
        try connection.prepare("SELECT envelope_window FROM accounts WHERE account = ?1")
            .firstRow([.text(account)]) { $0.optionalText(0).flatMap(EnvelopeWindow.init(rawValue:)) } ?? nil
    }

    public func setEnvelopeWindow(_ window: EnvelopeWindow?, account: String, at now: Date) throws {
        try connection.writeTransaction {
            try connection.prepare("""
                INSERT INTO accounts (account, envelope_window, updated_at) VALUES (?1, ?2, ?3)
                ON CONFLICT (account) DO UPDATE SET envelope_window = excluded.envelope_window,
                                                    updated_at = excluded.updated_at
                """).run([.text(account), window.map { .text($0.rawValue) } ?? .null, .text(storeTimestamp(now))])
        }
    }


    func walletBalance(_ account: String) throws -> Int64 {
        try connection.prepare("SELECT balance_cents FROM wallets WHERE account = ?1")
            .firstRow([.text(account)]) { $0.int64(0) } ?? 0
    }

    func addToWallet(_ account: String, _ cents: Int64) throws {
        // A debit updates the wallet in place: an upsert would check the CHECK
        // constraint against the negative amount it first tries to insert.
        if cents < 0 {
            try connection.prepare("UPDATE wallets SET balance_cents = balance_cents + ?2 WHERE account = ?1")
                .run([.text(account), .integer(cents)])
            return
        }
        try connection.prepare("""
            INSERT INTO wallets (account, balance_cents) VALUES (?1, ?2)
            ON CONFLICT (account) DO UPDATE SET balance_cents = balance_cents + excluded.balance_cents
            """).run([.text(account), .integer(cents)])
    }

    public func charge(job id: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?,
                       at now: Date) throws -> ChargeOutcome {
        try connection.writeTransaction {
            try chargeInTransaction(job: id, pages: pages, priceCents: priceCents, placement: placement,
                                    claimedBy: nil, at: now)
        }
    }

    /// Charges a job in the transaction open. `claimedBy`: a queued job is
    /// charged only while that worker still holds it.
    func chargeInTransaction(job id: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?,
                             claimedBy worker: String?, at now: Date) throws -> ChargeOutcome {
        guard priceCents > 0 else { throw StoreError("job \(id) has no price (\(priceCents) cents)") }
        let time = storeTimestamp(now)
        do {
            guard let job = try job(id) else { throw StoreError("job \(id) does not exist") }
            guard job.state == .queued || job.state == .awaitingFunds else { return .skipped(job.state) }
            if let worker, job.state == .queued {
                let holder = try connection.prepare("SELECT claimed_by FROM jobs WHERE id = ?1")
                    .firstRow([.integer(id)]) { $0.optionalText(0) } ?? nil
                guard holder == worker else { return .skipped(job.state) }
            }
            if let placement {
                try connection.prepare("""
                    UPDATE jobs SET stream = ?2, sheets = ?3, sort_key = ?4 WHERE id = ?1
                    """).run([.integer(id), .text(placement.stream.name), .integer(Int64(placement.sheets)),
                              .text(placement.sortKey)])
            }
            let balance = try walletBalance(job.account)
            guard balance >= priceCents else {
                try connection.prepare("""
                    UPDATE jobs SET state = 'awaiting_funds', pages = ?2, price_cents = ?3,
                        claimed_by = NULL, claimed_until = NULL, updated_at = ?4 WHERE id = ?1
                    """).run([.integer(id), .integer(Int64(pages)), .integer(priceCents), .text(time)])
                return .awaitingFunds(balanceCents: balance)
            }
            try connection.prepare("""
                INSERT INTO ledger (account, kind, amount_cents, job, created_at) VALUES (?1, 'debit', ?2, ?3, ?4)
                """).run([.text(job.account), .integer(-priceCents), .integer(id), .text(time)])
            try addToWallet(job.account, -priceCents)
            try connection.prepare("""
                UPDATE jobs SET state = 'prepared', pages = ?2, price_cents = ?3, reason = NULL,
                    claimed_by = NULL, claimed_until = NULL, updated_at = ?4 WHERE id = ?1
                """).run([.integer(id), .integer(Int64(pages)), .integer(priceCents), .text(time)])
            return .prepared(balanceAfterCents: balance - priceCents)
        }
    }

    public func fail(job id: Int64, reason: String, code: String, at now: Date) throws {
        try connection.writeTransaction {
            try failInTransaction(job: id, reason: reason, code: code, claimedBy: nil, at: now)
        }
    }

    func failInTransaction(job id: Int64, reason: String, code: String, claimedBy worker: String?, at now: Date) throws {
        try connection.prepare("""
            UPDATE jobs SET state = 'failed', reason = ?2, reason_code = ?4, claimed_by = NULL, claimed_until = NULL,
                updated_at = ?3
            WHERE id = ?1 AND (state = 'awaiting_funds' OR (state = 'queued' AND (?5 IS NULL OR claimed_by = ?5)))
            """).run([.integer(id), .text(reason), .text(storeTimestamp(now)), .text(code),
                      worker.map(SQLiteValue.text) ?? .null])
    }

    public func cancel(job id: Int64, at now: Date) throws -> CancelOutcome {
        let time = storeTimestamp(now)
        return try connection.writeTransaction {
            guard let job = try job(id) else { throw StoreError("job \(id) does not exist") }
            guard job.state.isCancellable, job.batch == nil else {
                return .notCancellable(job.batch == nil ? job.state : .bundled)
            }
            let refunded = job.state == .prepared ? try refundInTransaction(job: job, at: time) : 0
            try connection.prepare("""
                UPDATE jobs SET state = 'cancelled', claimed_by = NULL, claimed_until = NULL, updated_at = ?2 WHERE id = ?1
                """).run([.integer(id), .text(time)])
            return .cancelled(refundedCents: refunded)
        }
    }

    /// Refunds the debit of `job` in the transaction open, as a new entry
    /// that points at it; returns the amount refunded, 0 when it was never charged.
    func refundInTransaction(job: Job, at time: String) throws -> Int64 {
        let debit = try connection.prepare("""
            SELECT id, amount_cents FROM ledger WHERE job = ?1 AND kind = 'debit'
            """).firstRow([.integer(job.id)]) { ($0.int64(0), $0.int64(1)) }
        guard let (debitID, amount) = debit else { return 0 }
        try connection.prepare("""
            INSERT INTO ledger (account, kind, amount_cents, job, reverses, created_at)
            VALUES (?1, 'refund', ?2, ?3, ?4, ?5)
            """).run([.text(job.account), .integer(-amount), .integer(job.id), .integer(debitID), .text(time)])
        try addToWallet(job.account, -amount)
        return -amount
    }

    public func credit(account: String, cents: Int64, reference: String, at now: Date) throws -> CreditOutcome {
        guard cents > 0 else { throw StoreError("a credit must be a positive amount, got \(Cents.decimalString(cents))") }
        return try connection.writeTransaction {
            let existing = try connection.prepare("""
                SELECT account, amount_cents FROM ledger WHERE reference = ?1
                """).firstRow([.text(reference)]) { ($0.text(0), $0.int64(1)) }
            if let (existingAccount, amount) = existing {
                guard existingAccount == account, amount == cents else {
                    throw StoreError("reference \(reference) was already used to credit \(Cents.decimalString(amount)) to \(existingAccount)")
                }
                return .alreadyCredited(balanceCents: try walletBalance(account))
            }
            try connection.prepare("""
                INSERT INTO ledger (account, kind, amount_cents, reference, created_at) VALUES (?1, 'credit', ?2, ?3, ?4)
                """).run([.text(account), .integer(cents), .text(reference), .text(storeTimestamp(now))])
            try addToWallet(account, cents)
            return .credited(balanceCents: try walletBalance(account))
        }
    }

    public func balance(account: String) throws -> Int64 {
        try walletBalance(account)
    }

    public func history(account: String) throws -> [LedgerEntry] {
        try connection.prepare("""
            SELECT id, account, kind, amount_cents, reference, job, reverses, created_at
            FROM ledger WHERE account = ?1 ORDER BY id
            """).rows([.text(account)]) { row in
                guard let kind = LedgerEntry.Kind(rawValue: row.text(2)) else {
                    throw StoreError("ledger entry \(row.int64(0)) of \(account) has an unknown kind \"\(row.text(2))\"")
                }
                return LedgerEntry(id: row.int64(0), account: row.text(1), kind: kind,
                            amountCents: row.int64(3), reference: row.optionalText(4), job: row.optionalInt64(5),
                            reverses: row.optionalInt64(6), createdAt: row.text(7))
            }
    }
}

extension SQLiteStore {
    /// The write lock every writing transaction takes first is the cut's lock too.
    func takeCutLock() throws {}

    func refundInTransaction(job: Job, at now: Date) throws -> Int64 {
        try refundInTransaction(job: job, at: storeTimestamp(now))
    }
}
