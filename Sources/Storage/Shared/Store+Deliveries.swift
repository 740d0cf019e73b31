import Foundation
import Letters

/// Deliveries: the bundles to hand over, one process at a time, and their
/// attempts. Written once for both stores.
extension SQLStore {
    public func undeliveredBundles() throws -> [PendingDelivery] {
        try database.query("""
            SELECT b.batch, b.path, b.letters, \(time: "b.completed_at"), coalesce(d.attempts, 0), d.last_error,
                   \(time: "d.last_attempt_at"), \(time: "d.retry_at"), d.destination, \(time: "b.created_at"), b.checksums
            FROM bundles b LEFT JOIN deliveries d ON d.batch = b.batch
            WHERE b.state = 'cut' ORDER BY b.created_at, b.batch
            """) { row in
                PendingDelivery(batch: row.text(0), path: row.optionalText(1), letters: row.int(2),
                                cutAt: row.optionalText(3) ?? "", attempts: row.int(4), lastError: row.optionalText(5),
                                lastAttemptAt: row.optionalText(6), retryAt: row.optionalText(7).flatMap(UTCTimestamp.date),
                                destination: row.optionalText(8), openedAt: row.text(9), checksums: row.optionalText(10))
            }
    }

    public func claimDelivery(batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Int? {
        try database.write {
            let state = try database.queryFirst("SELECT state FROM bundles WHERE batch = \(batch) \(.forUpdate)") { $0.text(0) }
            guard state == "cut" else { return nil }
            return try database.queryFirst("""
                INSERT INTO deliveries (batch, attempts, last_attempt_at, claimed_by, claimed_until)
                VALUES (\(batch), 1, \(now: now), \(worker), \(now: now, plus: lease))
                ON CONFLICT (batch) DO UPDATE SET attempts = deliveries.attempts + 1,
                    last_attempt_at = excluded.last_attempt_at,
                    claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
                WHERE deliveries.claimed_by IS NULL OR deliveries.claimed_until < \(now: now)
                RETURNING attempts
                """) { $0.int(0) }
        }
    }

    public func recordDeliveryFailure(batch: String, destination: String, reason: String, retryAt: Date,
                                      at now: Date) throws {
        // The wait the caller meant, counted on the store's clock.
        let wait = max(0, retryAt.timeIntervalSince(now))
        try database.write {
            try database.perform("""
                UPDATE deliveries SET destination = \(destination), last_error = \(reason), retry_at = \(now: now, plus: wait),
                    claimed_by = NULL, claimed_until = NULL WHERE batch = \(batch)
                """)
        }
    }

    public func recordDelivered(batch: String, destination: String, at now: Date) throws {
        try database.write {
            try database.perform("""
                UPDATE deliveries SET destination = \(destination), delivered_at = \(now: now), last_error = NULL,
                    retry_at = NULL, claimed_by = NULL, claimed_until = NULL WHERE batch = \(batch)
                """)
            try database.perform("UPDATE bundles SET state = 'delivered' WHERE batch = \(batch) AND state = 'cut'")
            let delivered = try database.perform("""
                UPDATE jobs SET state = 'delivered', updated_at = \(now: now) WHERE batch = \(batch) AND state = 'bundled'
                """)
            if delivered > 0 {
                try appendForBatch(batch, state: .delivered, kind: .delivered,
                                   details: ["batch": .string(batch), "destination": .string(destination)], at: now)
            }
        }
    }

    public func recordRebuilt(batch: String, path: String, at now: Date) throws {
        try database.write {
            try database.perform("""
                UPDATE bundles SET path = \(path), rebuilt = rebuilt + 1, last_rebuilt_at = \(now: now) WHERE batch = \(batch)
                """)
        }
    }
}
