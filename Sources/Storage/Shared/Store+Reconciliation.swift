import Foundation
import Letters

/// The reconciliation finance reads: what was charged, printed, posted,
/// spoiled and printed again, returned and still unanswered, per bundle and
/// account, summing to the ledger. Written once for both stores.
extension SQLStore {
    public func reconcile(chargedFrom start: Date?, before end: Date?) throws -> Reconciliation {
        var range: SQL = ""
        if let start { range = "\(range) AND created_at >= \(moment: start)" }
        if let end { range = "\(range) AND created_at < \(moment: end)" }
        let debited: SQL = "SELECT job FROM ledger WHERE kind = 'debit' \(range)"
        return try database.read {
            var charged: [Int64: (account: String, cents: Int64)] = [:]
            for (job, account, cents) in try database.query("""
                SELECT job, account, -amount_cents FROM ledger WHERE kind = 'debit' \(range)
                """, { ($0.int64(0), $0.text(1), $0.int64(2)) }) {
                charged[job] = (account, cents)
            }
            let refunded = Dictionary(uniqueKeysWithValues: try database.query("""
                SELECT job, sum(amount_cents) FROM ledger WHERE kind = 'refund' AND job IN (\(debited)) GROUP BY job
                """) { ($0.int64(0), $0.int64(1)) })
            var statuses: [String: Set<String>] = [:]
            for (batch, sequence, status) in try database.query("""
                SELECT batch, sequence, status FROM answers WHERE job IN (\(debited))
                """, { ($0.text(0), $0.int(1), $0.text(2)) }) {
                statuses["\(batch)#\(sequence)", default: []].insert(status)
            }
            var rows: [String: ReconciliationRow] = [:]
            func row(_ batch: String?, _ account: String) -> String {
                let key = "\(batch ?? "")\u{0}\(account)"
                if rows[key] == nil { rows[key] = ReconciliationRow(batch: batch, account: account) }
                return key
            }
            var printed: Set<Int64> = []
            for (batch, job, account, sequence, sheets, chargedCents) in try database.query("""
                SELECT batch, job, account, sequence, sheets, charged_cents FROM printings WHERE job IN (\(debited))
                ORDER BY batch, sequence
                """, { ($0.text(0), $0.int64(1), $0.text(2), $0.optionalInt64(3), $0.int(4), $0.int64(5)) }) {
                let key = row(batch, account)
                rows[key]?.letters += 1
                rows[key]?.sheets += sheets
                // The first printing is charged, with the ledger's amount; a reprint is not.
                if chargedCents > 0, let debit = charged[job], !printed.contains(job) {
                    printed.insert(job)
                    rows[key]?.chargedCents += debit.cents
                    rows[key]?.refundedCents += refunded[job] ?? 0
                } else {
                    rows[key]?.reprints += 1
                }
                let answers = sequence.flatMap { statuses["\(batch)#\($0)"] } ?? []
                if answers.contains("returned") { rows[key]?.returned += 1 }
                else if answers.contains("posted") { rows[key]?.posted += 1 }
                else if answers.contains("spoiled") { rows[key]?.spoiled += 1 }
                else { rows[key]?.unanswered += 1 }
            }
            // Charged and never printed: waiting for a cut, or refunded before print.
            for (job, debit) in charged where !printed.contains(job) {
                let key = row(nil, debit.account)
                rows[key]?.letters += 1
                rows[key]?.chargedCents += debit.cents
                rows[key]?.refundedCents += refunded[job] ?? 0
            }
            return Reconciliation(
                rows: rows.values.sorted { ($0.batch ?? "\u{FFFF}", $0.account) < ($1.batch ?? "\u{FFFF}", $1.account) },
                debitedCents: charged.values.reduce(0) { $0 + $1.cents },
                refundedCents: refunded.values.reduce(0, +))
        }
    }
}
