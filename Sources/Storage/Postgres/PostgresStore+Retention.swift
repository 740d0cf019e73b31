import Foundation
import Letters

/// Retention: forgetting the personal data of letters finished long ago.
extension PostgresStore {
    public func purge(before cutoff: Date, at now: Date) throws -> PurgeReport {
        let limit = PostgresValue.integer(Int64(cutoff.timeIntervalSince1970))
        return try connection.transaction {
            var report = PurgeReport()
            // Letters whose story is over: their documents go, their charges stay.
            report.jobs = try connection.run("""
                UPDATE jobs SET document = '\\x7b7d', document_hash = 'purged', terms_hash = NULL, logo_hash = NULL,
                    sort_key = NULL,
                    reason = CASE WHEN reason IS NULL THEN NULL ELSE 'purged (' || coalesce(reason_code, 'unknown') || ')' END,
                    updated_at = now()
                WHERE state IN ('delivered', 'failed', 'cancelled') AND updated_at < to_timestamp($1)
                    AND document_hash != 'purged'
                """, [limit])
            report.attachments = try connection.run("""
                DELETE FROM attachments a
                WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.terms_hash = a.hash OR jobs.logo_hash = a.hash)
                """)
            // Delivered bundles: their folders (letters and addresses) go, their summary stays.
            report.bundleFolders = try connection.rows("""
                WITH finished AS (
                    SELECT batch, path FROM bundles
                    WHERE state = 'delivered' AND completed_at < to_timestamp($1) AND path IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.batch = bundles.batch
                                        AND jobs.document_hash != 'purged')
                    FOR UPDATE)
                UPDATE bundles SET path = NULL FROM finished WHERE bundles.batch = finished.batch
                RETURNING finished.path
                """, [limit]) { $0.text(0) }
            return report
        }
    }
}
