import Foundation
import Letters

/// Charging a letter, step by step inside the write lock every writing
/// transaction takes first: no other writer reads the balance meanwhile.
extension SQLiteStore {
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

    /// The write lock every writing transaction takes first is the cut's lock too.
    func takeCutLock() throws {}
}
