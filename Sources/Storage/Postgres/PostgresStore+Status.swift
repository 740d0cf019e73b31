import Foundation
import Letters

/// What operations read: metrics and status.
extension PostgresStore {
    public func metrics() throws -> StoreMetrics {
        var metrics = StoreMetrics()
        for (state, count) in try connection.rows("SELECT state, count(*) FROM jobs GROUP BY state", [],
                                                  { ($0.text(0), $0.int(1)) }) {
            if let state = JobState(rawValue: state) { metrics.jobs[state] = count }
        }
        metrics.oldestQueuedAt = try connection.firstRow("SELECT iso_utc(min(created_at)) FROM jobs WHERE state = 'queued'") {
            $0.optionalText(0)
        } ?? nil
        metrics.oldestAwaitingFundsSince = try connection.firstRow("""
            SELECT iso_utc(min(updated_at)) FROM jobs WHERE state = 'awaiting_funds'
            """) { $0.optionalText(0) } ?? nil
        for (code, count) in try connection.rows("""
            SELECT coalesce(reason_code, 'unknown'), count(*) FROM jobs WHERE state = 'failed' GROUP BY 1
            """, [], { ($0.text(0), $0.int(1)) }) {
            metrics.failuresByReason[code] = count
        }
        _ = try connection.firstRow("""
            SELECT count(*), coalesce(sum(letters), 0), coalesce(sum(pages), 0), coalesce(sum(sheets), 0),
                   coalesce(sum(amount_cents), 0)
            FROM bundles WHERE state IN ('cut', 'delivered')
            """) { row in
                metrics.bundlesCut = StoreMetrics.Cut(letters: row.int(1), pages: row.int(2), sheets: row.int(3),
                                                      amountCents: row.int64(4))
                metrics.bundles = row.int(0)
            }
        metrics.lastCut = try connection.firstRow("""
            SELECT batch, letters, coalesce(pages, 0), coalesce(sheets, 0), coalesce(amount_cents, 0),
                   iso_utc(completed_at)
            FROM bundles WHERE state IN ('cut', 'delivered') ORDER BY completed_at DESC, batch DESC LIMIT 1
            """) { row in
                StoreMetrics.LastCut(batch: row.text(0), completedAt: row.text(5),
                                     totals: StoreMetrics.Cut(letters: row.int(1), pages: row.int(2), sheets: row.int(3),
                                                              amountCents: row.int64(4)))
            }
        _ = try connection.firstRow("""
            SELECT count(delivered_at), coalesce(sum(attempts - (delivered_at IS NOT NULL)::int), 0),
                   iso_utc(max(delivered_at))
            FROM deliveries
            """) { row in
                metrics.deliveries = row.int(0)
                metrics.failedDeliveryAttempts = row.int(1)
                metrics.lastDeliveredAt = row.optionalText(2)
            }
        metrics.undelivered = try connection.firstRow("SELECT count(*) FROM bundles WHERE state = 'cut'") {
            $0.int(0)
        } ?? 0
        return metrics
    }

    public func status(failureLimit: Int) throws -> StatusReport {
        var counts: [JobState: Int] = [:]
        for (state, count) in try connection.rows("SELECT state, count(*) FROM jobs GROUP BY state", [],
                                                  { ($0.text(0), $0.int(1)) }) {
            if let state = JobState(rawValue: state) { counts[state] = count }
        }
        let failures = try connection.rows("""
            SELECT \(Self.jobColumns) FROM jobs WHERE state = 'failed' ORDER BY updated_at DESC, id DESC LIMIT $1
            """, [.integer(Int64(failureLimit))], Self.readJob)
        let bundles = try connection.rows("""
            SELECT batch, state, letters, pages, amount_cents, path, iso_utc(created_at), rebuilt,
                   iso_utc(last_rebuilt_at)
            FROM bundles ORDER BY created_at DESC, batch DESC LIMIT 20
            """) { row in
                StatusReport.Bundle(batch: row.text(0), state: row.text(1), letters: row.int(2),
                                    pages: Int(row.optionalInt64(3) ?? 0), amountCents: row.optionalInt64(4) ?? 0,
                                    path: row.optionalText(5), createdAt: row.text(6),
                                    rebuilt: row.int(7), lastRebuiltAt: row.optionalText(8))
            }
        return StatusReport(jobs: counts, failures: failures, bundles: bundles, deliveries: try undeliveredBundles())
    }
}
