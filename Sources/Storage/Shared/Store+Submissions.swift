import Foundation
import Letters

/// Documents the product inserted into PostgreSQL's `submissions` table,
/// taken in by a worker and queued (`enqueue` removes each in the
/// transaction that queues it). The embedded store has no such table: there
/// the product queues through `courrier enqueue`, and these take nothing.
extension SQLStore {
    /// Taken for `lease` seconds by `worker`: the oldest of each account in
    /// turn, so that one account's thousand rows do not hold up another's
    /// one; another worker skips them. Each column's size is read before its
    /// value: one over `maximumBytes` is left in the table, so that a 600 MB
    /// row costs no memory and fails alone. The account and id are cut to a
    /// length no real one has.
    public func takeSubmissions(limit: Int, worker: String, lease: TimeInterval, maximumBytes: Int) throws -> [ProductSubmission] {
        guard database.dialect.hasSubmissions else { return [] }
        let now = Date()
        let waiting = try database.queryFirst("""
            SELECT count(*) FROM (SELECT 1 FROM submissions
                                  WHERE claimed_until IS NULL OR claimed_until < \(now: now) LIMIT 1) AS waiting
            """) { $0.int(0) } ?? 0
        guard waiting > 0 else { return [] }
        return try database.write {
            try database.query("""
                UPDATE submissions SET claimed_by = \(worker), claimed_until = \(now: now, plus: lease)
                WHERE id IN (SELECT id FROM submissions WHERE id IN (
                                 SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY account ORDER BY id) AS turn
                                                 FROM submissions WHERE claimed_until IS NULL OR claimed_until < \(now: now)) waiting
                                 ORDER BY turn, id LIMIT \(limit))
                             \(.skipLocked))
                RETURNING id, substr(account, 1, 1000), substr(document_id, 1, 1000),
                          octet_length(document), CASE WHEN octet_length(document) <= \(maximumBytes) THEN document END,
                          octet_length(terms), CASE WHEN octet_length(terms) <= \(maximumBytes) THEN terms END,
                          octet_length(logo), CASE WHEN octet_length(logo) <= \(maximumBytes) THEN logo END
                """) { row in
                    // A value column is NULL when its size (the column before it) is over the limit.
                    let limit = Int64(maximumBytes)
                    func fits(_ size: Int32) -> Bool { row.optionalInt64(size).map { $0 <= limit } ?? false }
                    let oversized = [("document", 3), ("terms", 5), ("logo", 7)].compactMap { (column: String, size: Int32) in
                        row.optionalInt64(size).flatMap { $0 > limit ? (column: column, bytes: $0) : nil }
                    }
                    return ProductSubmission(id: row.int64(0), account: row.text(1), documentID: row.text(2),
                                             document: fits(3) ? Array(row.text(4).utf8) : [],
                                             terms: fits(5) ? row.bytes(6) : nil, logo: fits(7) ? row.bytes(8) : nil,
                                             oversized: oversized)
                }.sorted { $0.id < $1.id }
        }
    }

    public func renewSubmissions(worker: String, lease: TimeInterval) throws {
        guard database.dialect.hasSubmissions else { return }
        try database.perform("""
            UPDATE submissions SET claimed_until = \(now: Date(), plus: lease) WHERE claimed_by = \(worker)
            """)
    }

    public func releaseSubmissions(worker: String) throws {
        guard database.dialect.hasSubmissions else { return }
        try database.perform("UPDATE submissions SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = \(worker)")
    }
}
