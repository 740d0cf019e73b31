import Foundation
import Letters

/// The product's webhook: how far each endpoint has been sent the events,
/// one worker at a time, retried and abandoned by its head event. Written
/// once for both stores.
extension SQLStore {
    public func claimWebhook(endpoint: String, worker: String, lease: TimeInterval, since: Date,
                             at now: Date) throws -> WebhookCursor? {
        try database.write {
            // A new endpoint is sent the events from `since` on, as if it had been away since then.
            try database.perform("""
                INSERT INTO webhooks (endpoint, sent_through)
                SELECT \(endpoint), coalesce((SELECT min(id) - 1 FROM events WHERE created_at >= \(moment: since)),
                                             (SELECT coalesce(max(id), 0) FROM events))
                ON CONFLICT (endpoint) DO NOTHING
                """)
            return try database.queryFirst("""
                UPDATE webhooks SET claimed_by = \(worker), claimed_until = \(now: now, plus: lease)
                WHERE endpoint = \(endpoint) AND (claimed_by IS NULL OR claimed_by = \(worker) OR claimed_until < \(now: now))
                    AND (retry_at IS NULL OR retry_at <= \(now: now))
                RETURNING sent_through, attempts, \(time: "failing_since")
                """) { row in
                    WebhookCursor(endpoint: endpoint, sentThrough: row.int64(0), attempts: row.int(1),
                                  failingSince: row.optionalText(2).flatMap(UTCTimestamp.date))
                }
        }
    }

    public func recordWebhookSent(endpoint: String, through event: Int64, worker: String, lease: TimeInterval,
                                  at now: Date) throws -> Bool {
        try database.lightWrite {
            try database.perform("""
                UPDATE webhooks SET sent_through = \(event), attempts = 0, failing_since = NULL, retry_at = NULL,
                    last_error = NULL, claimed_until = \(now: now, plus: lease)
                WHERE endpoint = \(endpoint) AND claimed_by = \(worker) AND sent_through <= \(event)
                """) == 1
        }
    }

    public func recordWebhookFailure(endpoint: String, worker: String, reason: String, retryAfter wait: TimeInterval,
                                     at now: Date) throws {
        try database.write {
            try database.perform("""
                UPDATE webhooks SET attempts = attempts + 1, failing_since = coalesce(failing_since, \(now: now)),
                    last_error = \(reason), retry_at = \(now: now, plus: wait), claimed_by = NULL, claimed_until = NULL
                WHERE endpoint = \(endpoint) AND claimed_by = \(worker)
                """)
        }
    }

    public func abandonWebhookEvents(endpoint: String, through event: Int64, count: Int, worker: String,
                                     at now: Date) throws -> Bool {
        try database.write {
            try database.perform("""
                UPDATE webhooks SET sent_through = \(event), abandoned = abandoned + \(count), attempts = 0,
                    failing_since = NULL, retry_at = NULL
                WHERE endpoint = \(endpoint) AND claimed_by = \(worker) AND sent_through < \(event)
                """) == 1
        }
    }

    public func releaseWebhook(endpoint: String, worker: String) throws {
        try database.lightWrite {
            try database.perform("""
                UPDATE webhooks SET claimed_by = NULL, claimed_until = NULL WHERE endpoint = \(endpoint) AND claimed_by = \(worker)
                """)
        }
    }

    public func webhookStates() throws -> [WebhookState] {
        try database.query("""
            SELECT endpoint, sent_through, (SELECT coalesce(max(id), 0) FROM events) - sent_through, attempts,
                   \(time: "failing_since"), last_error, abandoned, \(time: "retry_at")
            FROM webhooks ORDER BY endpoint
            """) { row in
                WebhookState(endpoint: row.text(0), sentThrough: row.int64(1), waiting: row.int64(2), attempts: row.int(3),
                             failingSince: row.optionalText(4), lastError: row.optionalText(5), abandoned: row.int(6),
                             retryAt: row.optionalText(7))
            }
    }
}
