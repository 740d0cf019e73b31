import Foundation
import Letters

/// What operations read: metrics and status. Written once for both stores.
extension SQLStore {
    private func jobCounts() throws -> [JobState: Int] {
        var counts: [JobState: Int] = [:]
        for (state, count) in try database.query("SELECT state, count(*) FROM jobs GROUP BY state", { ($0.text(0), $0.int(1)) }) {
            counts[try JobState.stored(state)] = count
        }
        return counts
    }

    public func metrics() throws -> StoreMetrics {
        var metrics = StoreMetrics()
        metrics.jobs = try jobCounts()
        metrics.oldestQueuedAt = try database.queryFirst("""
            SELECT \(time: "min(created_at)") FROM jobs WHERE state = 'queued'
            """) { $0.optionalText(0) } ?? nil
        metrics.oldestAwaitingFundsSince = try database.queryFirst("""
            SELECT \(time: "min(updated_at)") FROM jobs WHERE state = 'awaiting_funds'
            """) { $0.optionalText(0) } ?? nil
        for (code, count) in try database.query("""
            SELECT coalesce(reason_code, 'unknown'), count(*) FROM jobs WHERE state = 'failed' GROUP BY 1
            """, { ($0.text(0), $0.int(1)) }) {
            metrics.failuresByReason[code] = count
        }
        _ = try database.queryFirst("""
            SELECT count(*), coalesce(sum(letters), 0), coalesce(sum(pages), 0), coalesce(sum(sheets), 0),
                   coalesce(sum(amount_cents), 0)
            FROM bundles WHERE state IN ('cut', 'delivered')
            """) { row in
                metrics.bundlesCut = StoreMetrics.Cut(letters: row.int(1), pages: row.int(2), sheets: row.int(3),
                                                      amountCents: row.int64(4))
                metrics.bundles = row.int(0)
            }
        metrics.lastCut = try database.queryFirst("""
            SELECT batch, letters, coalesce(pages, 0), coalesce(sheets, 0), coalesce(amount_cents, 0), \(time: "completed_at")
            FROM bundles WHERE state IN ('cut', 'delivered') ORDER BY completed_at DESC, batch DESC LIMIT 1
            """) { row in
                StoreMetrics.LastCut(batch: row.text(0), completedAt: row.optionalText(5) ?? "",
                                     totals: StoreMetrics.Cut(letters: row.int(1), pages: row.int(2), sheets: row.int(3),
                                                              amountCents: row.int64(4)))
            }
        _ = try database.queryFirst("""
            SELECT count(delivered_at), coalesce(sum(attempts - CASE WHEN delivered_at IS NULL THEN 0 ELSE 1 END), 0),
                   \(time: "max(delivered_at)")
            FROM deliveries
            """) { row in
                metrics.deliveries = row.int(0)
                metrics.failedDeliveryAttempts = row.int(1)
                metrics.lastDeliveredAt = row.optionalText(2)
            }
        metrics.undelivered = try database.queryFirst("SELECT count(*) FROM bundles WHERE state = 'cut'") { $0.int(0) } ?? 0
        let webhooks = try webhookStates()
        metrics.webhookAbandoned = webhooks.map(\.abandoned).reduce(0, +)
        metrics.webhookWaiting = webhooks.map(\.waiting).reduce(0, +)
        metrics.webhookFailingSince = webhooks.compactMap(\.failingSince).min()
        metrics.oldestUnacknowledgedDeliveredAt = try database.queryFirst("""
            SELECT \(time: "min(d.delivered_at)") FROM bundles b JOIN deliveries d ON d.batch = b.batch
            WHERE b.state = 'delivered' AND b.acknowledged_at IS NULL
            """) { $0.optionalText(0) } ?? nil
        metrics.unpostedByDelivery = try database.query("""
            SELECT \(time: "d.delivered_at"), count(*) FROM jobs j JOIN deliveries d ON d.batch = j.batch
            WHERE j.state = 'delivered' AND j.answer IS NULL AND d.delivered_at IS NOT NULL
            GROUP BY d.delivered_at
            """) { ($0.text(0), $0.int(1)) }
        metrics.spoilage = try database.query("""
            SELECT batch, letters, (SELECT count(*) FROM answers a WHERE a.batch = b.batch AND a.status = 'spoiled')
            FROM bundles b WHERE state = 'delivered' AND letters > 0
                AND EXISTS (SELECT 1 FROM answers a WHERE a.batch = b.batch)
            ORDER BY completed_at DESC, batch DESC LIMIT 10
            """) { ($0.text(0), Double($0.int(2)) / Double($0.int(1))) }
        metrics.refusedResponseLines = try database.queryFirst("SELECT coalesce(sum(refused), 0) FROM response_files") {
            $0.int(0)
        } ?? 0
        return metrics
    }

    public func status(failureLimit: Int) throws -> StatusReport {
        let failures = try database.query("""
            SELECT \(.job) FROM jobs WHERE state = 'failed' ORDER BY updated_at DESC, id DESC LIMIT \(failureLimit)
            """) { try Job.read($0) }
        let bundles = try database.query("""
            SELECT batch, state, letters, pages, amount_cents, path, \(time: "created_at"), rebuilt, \(time: "last_rebuilt_at")
            FROM bundles ORDER BY created_at DESC, batch DESC LIMIT 20
            """) { row in
                StatusReport.Bundle(batch: row.text(0), state: row.text(1), letters: row.int(2),
                                    pages: Int(row.optionalInt64(3) ?? 0), amountCents: row.optionalInt64(4) ?? 0,
                                    path: row.optionalText(5), createdAt: row.text(6),
                                    rebuilt: row.int(7), lastRebuiltAt: row.optionalText(8))
            }
        return StatusReport(jobs: try jobCounts(), failures: failures, bundles: bundles, deliveries: try undeliveredBundles(),
                            webhooks: try webhookStates())
    }
}
