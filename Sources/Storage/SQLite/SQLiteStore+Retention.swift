import Foundation
import Letters

/// Retention: forgetting the personal data of letters finished long ago.
extension SQLiteStore {
    public func purge(before cutoff: Date, at now: Date) throws -> PurgeReport {
        let limit = storeTimestamp(cutoff)
        // Deleted and overwritten content is zeroed on disk, not left in free pages.
        try connection.execute("PRAGMA secure_delete = ON")
        defer { try? connection.execute("PRAGMA secure_delete = OFF") }
        let report = try connection.writeTransaction { () throws -> PurgeReport in
            var report = PurgeReport()
            // Letters whose story is over: their documents go, their charges stay.
            report.jobs = try connection.prepare("""
                UPDATE jobs SET document = X'7B7D', document_hash = 'purged', terms_hash = NULL, logo_hash = NULL,
                    sort_key = NULL,
                    reason = CASE WHEN reason IS NULL THEN NULL ELSE 'purged (' || coalesce(reason_code, 'unknown') || ')' END,
                    updated_at = ?2
                WHERE state IN ('delivered', 'failed', 'cancelled') AND updated_at < ?1 AND document_hash != 'purged'
                RETURNING id
                """).rows([.text(limit), .text(storeTimestamp(now))]) { $0.int64(0) }.count
            report.attachments = try connection.prepare("""
                DELETE FROM attachments WHERE hash NOT IN (SELECT terms_hash FROM jobs WHERE terms_hash IS NOT NULL)
                    AND hash NOT IN (SELECT logo_hash FROM jobs WHERE logo_hash IS NOT NULL)
                RETURNING hash
                """).rows([]) { $0.text(0) }.count
            // Delivered bundles: their folders (letters and addresses) go, their summary stays.
            report.bundleFolders = try connection.prepare("""
                SELECT path FROM bundles
                WHERE state = 'delivered' AND completed_at < ?1 AND path IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.batch = bundles.batch AND jobs.document_hash != 'purged')
                """).rows([.text(limit)]) { $0.text(0) }
            let forget = try connection.prepare("UPDATE bundles SET path = NULL WHERE path = ?1")
            for path in report.bundleFolders { try forget.run([.text(path)]) }
            return report
        }
        // Nothing of the old pages may stay in the write-ahead log either.
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return report
    }
}
