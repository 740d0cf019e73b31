import Foundation
import Letters

/// Deliveries: the bundles to hand over, one process at a time, and their attempts.
extension PostgresStore {
    public func undeliveredBundles() throws -> [PendingDelivery] {
        try connection.rows("""
            SELECT b.batch, b.path, b.letters, iso_utc(b.completed_at), coalesce(d.attempts, 0), d.last_error,
                   iso_utc(d.last_attempt_at), extract(epoch FROM d.retry_at)::bigint, d.destination,
                   iso_utc(b.created_at), b.checksums
            FROM bundles b LEFT JOIN deliveries d ON d.batch = b.batch
            WHERE b.state = 'cut' ORDER BY b.created_at, b.batch
            """) { row in
                PendingDelivery(batch: row.text(0), path: row.optionalText(1), letters: row.int(2),
                                cutAt: row.text(3), attempts: row.int(4), lastError: row.optionalText(5),
                                lastAttemptAt: row.optionalText(6),
                                retryAt: row.optionalInt64(7).map { Date(timeIntervalSince1970: TimeInterval($0)) },
                                destination: row.optionalText(8), openedAt: row.text(9),
                                checksums: row.optionalText(10))
            }
    }

    public func claimDelivery(batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Int? {
        try connection.transaction {
            let state = try connection.firstRow("SELECT state FROM bundles WHERE batch = $1 FOR UPDATE",
                                                [.text(batch)]) { $0.text(0) }
            guard state == "cut" else { return nil }
            return try connection.firstRow("""
                INSERT INTO deliveries (batch, attempts, last_attempt_at, claimed_by, claimed_until)
                VALUES ($1, 1, now(), $2, now() + $3 * interval '1 second')
                ON CONFLICT (batch) DO UPDATE SET attempts = deliveries.attempts + 1,
                    last_attempt_at = excluded.last_attempt_at,
                    claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
                WHERE deliveries.claimed_by IS NULL OR deliveries.claimed_until < now()
                RETURNING attempts
                """, [.text(batch), .text(worker), Self.seconds(lease)]) { $0.int(0) }
        }
    }

    public func recordDeliveryFailure(batch: String, destination: String, reason: String, retryAt: Date,
                                      at now: Date) throws {
        // The wait the caller meant, counted on the database's clock.
        let wait = max(0, retryAt.timeIntervalSince(now))
        try connection.run("""
            UPDATE deliveries SET destination = $2, last_error = $3, retry_at = now() + $4 * interval '1 second',
                claimed_by = NULL, claimed_until = NULL WHERE batch = $1
            """, [.text(batch), .text(destination), .text(reason), Self.seconds(wait)])
    }

    public func recordDelivered(batch: String, destination: String, at now: Date) throws {
        try connection.transaction {
            try connection.run("""
                UPDATE deliveries SET destination = $2, delivered_at = now(), last_error = NULL, retry_at = NULL,
                    claimed_by = NULL, claimed_until = NULL WHERE batch = $1
                """, [.text(batch), .text(destination)])
            try connection.run("UPDATE bundles SET state = 'delivered' WHERE batch = $1 AND state = 'cut'",
                               [.text(batch)])
            try connection.run("""
                UPDATE jobs SET state = 'delivered', updated_at = now() WHERE batch = $1 AND state = 'bundled'
                """, [.text(batch)])
        }
    }

    public func recordRebuilt(batch: String, path: String, at now: Date) throws {
        try connection.run("""
            UPDATE bundles SET path = $2, rebuilt = rebuilt + 1, last_rebuilt_at = now() WHERE batch = $1
            """, [.text(batch), .text(path)])
    }
}
