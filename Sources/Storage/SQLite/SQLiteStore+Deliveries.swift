import Foundation
import Letters

/// Deliveries: the bundles to hand over, one process at a time, and their attempts.
extension SQLiteStore {
    public func undeliveredBundles() throws -> [PendingDelivery] {
        try connection.prepare("""
            SELECT b.batch, b.path, b.letters, b.completed_at, coalesce(d.attempts, 0), d.last_error, d.last_attempt_at,
                   d.retry_at, d.destination, b.created_at, b.checksums
            FROM bundles b LEFT JOIN deliveries d ON d.batch = b.batch
            WHERE b.state = 'cut' ORDER BY b.created_at, b.batch
            """).rows { row in
                PendingDelivery(batch: row.text(0), path: row.optionalText(1), letters: row.int(2),
                                cutAt: row.optionalText(3) ?? "", attempts: row.int(4), lastError: row.optionalText(5),
                                lastAttemptAt: row.optionalText(6),
                                retryAt: row.optionalText(7).flatMap(UTCTimestamp.date),
                                destination: row.optionalText(8), openedAt: row.text(9),
                                checksums: row.optionalText(10))
            }
    }

    public func claimDelivery(batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Int? {
        try connection.writeTransaction {
            let state = try connection.prepare("SELECT state FROM bundles WHERE batch = ?1")
                .firstRow([.text(batch)]) { $0.text(0) }
            guard state == "cut" else { return nil }
            return try connection.prepare("""
                INSERT INTO deliveries (batch, attempts, last_attempt_at, claimed_by, claimed_until)
                VALUES (?1, 1, ?2, ?3, ?4)
                ON CONFLICT (batch) DO UPDATE SET attempts = attempts + 1, last_attempt_at = excluded.last_attempt_at,
                    claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
                WHERE deliveries.claimed_by IS NULL OR deliveries.claimed_until < ?5
                RETURNING attempts
                """).firstRow([.text(batch), .text(storeTimestamp(now)), .text(worker),
                                 Self.until(now, lease), .text(storeTimestamp(now))]) { $0.int(0) }
        }
    }

    public func recordDeliveryFailure(batch: String, destination: String, reason: String, retryAt: Date,
                                      at now: Date) throws {
        try connection.writeTransaction {
            try connection.prepare("""
                UPDATE deliveries SET destination = ?2, last_error = ?3, retry_at = ?4, claimed_by = NULL,
                    claimed_until = NULL WHERE batch = ?1
                """).run([.text(batch), .text(destination), .text(reason),
                          .text(storeTimestamp(retryAt.addingTimeInterval(0.999)))])
        }
    }

    public func recordDelivered(batch: String, destination: String, at now: Date) throws {
        let time = storeTimestamp(now)
        try connection.writeTransaction {
            try connection.prepare("""
                UPDATE deliveries SET destination = ?2, delivered_at = ?3, last_error = NULL, retry_at = NULL,
                    claimed_by = NULL, claimed_until = NULL WHERE batch = ?1
                """).run([.text(batch), .text(destination), .text(time)])
            try connection.prepare("UPDATE bundles SET state = 'delivered' WHERE batch = ?1 AND state = 'cut'")
                .run([.text(batch)])
            try connection.prepare("""
                UPDATE jobs SET state = 'delivered', updated_at = ?2 WHERE batch = ?1 AND state = 'bundled'
                """).run([.text(batch), .text(time)])
        }
    }

    public func recordRebuilt(batch: String, path: String, at now: Date) throws {
        try connection.writeTransaction {
            try connection.prepare("""
                UPDATE bundles SET path = ?2, rebuilt = rebuilt + 1, last_rebuilt_at = ?3 WHERE batch = ?1
                """).run([.text(batch), .text(path), .text(storeTimestamp(now))])
        }
    }
}
