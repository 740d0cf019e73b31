import Foundation
import Letters

/// Retention: forgetting the personal data of letters finished long ago.
/// Written once for both stores.
extension SQLStore {
    public func purge(before cutoff: Date, at now: Date) throws -> PurgeReport {
        try database.forgetting {
            try database.write {
                var report = PurgeReport()
                // Letters whose story is over: their documents go, their charges stay.
                let purged = try database.query("""
                    UPDATE jobs SET document = \(SQLValue.bytes(Array("{}".utf8))), document_hash = 'purged', letter = NULL,
                        terms_hash = NULL, logo_hash = NULL, sort_key = NULL,
                        reason = CASE WHEN reason IS NULL THEN NULL ELSE 'purged (' || coalesce(reason_code, 'unknown') || ')' END,
                        updated_at = \(now: now)
                    WHERE state IN ('delivered', 'failed', 'cancelled') AND updated_at < \(moment: cutoff)
                        AND document_hash != 'purged'
                    RETURNING id
                    """) { $0.int64(0) }.sorted()
                report.jobs = purged.count
                // Their stories stay, without what a customer wrote: the failures' reasons.
                for job in purged {
                    try database.perform("""
                        UPDATE events SET details = \(detailsWithout: "reason") WHERE job = \(job) AND kind = 'failed'
                        """)
                }
                report.attachments = try database.perform("""
                    DELETE FROM attachments
                    WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.terms_hash = attachments.hash OR jobs.logo_hash = attachments.hash)
                    """)
                // Delivered bundles: their folders (letters and addresses) go, their summary stays.
                report.bundleFolders = try database.query("""
                    SELECT path FROM bundles
                    WHERE state = 'delivered' AND completed_at < \(moment: cutoff) AND path IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.batch = bundles.batch AND jobs.document_hash != 'purged')
                    \(.forUpdate)
                    """) { $0.text(0) }
                for path in report.bundleFolders {
                    try database.perform("UPDATE bundles SET path = NULL WHERE path = \(path)")
                }
                try append(purged.map { NewEvent(job: $0, kind: .purged) }, at: now)
                return report
            }
        }
    }
}
