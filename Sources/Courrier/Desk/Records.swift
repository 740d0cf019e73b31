import Foundation
import Letters
import Storage

/// What operations read and keep: the status, a job cancelled, the purge of
/// what the retention period no longer allows.
public final class Records {
    private let store: RecordStore
    private let schedule: CutSchedule
    private let log: EventLog
    private let clock: () -> Date

    init(store: RecordStore, schedule: CutSchedule, log: EventLog, clock: @escaping () -> Date) {
        self.store = store
        self.schedule = schedule
        self.log = log
        self.clock = clock
    }

    /// What `courrier status` shows: jobs, failures, bundles, the figures
    /// operations watch, and the next scheduled cut.
    public func status(failureLimit: Int = 50) throws -> (report: StatusReport, metrics: StoreMetrics, nextCut: Date?) {
        (try store.status(failureLimit: failureLimit), try store.metrics(), schedule.nextSlot(after: clock()))
    }

    /// The letters charged in `month` (`YYYY-MM`, its days in the schedule's
    /// time zone; every month when nil), reconciled per bundle and account.
    public func reconcile(month: String?) throws -> Reconciliation {
        guard let month else { return try store.reconcile(chargedFrom: nil, before: nil) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = schedule.timeZone
        let parts = month.split(separator: "-")
        guard month.count == 7, parts.count == 2, let year = Int(parts[0]), let number = Int(parts[1]), (1...12).contains(number),
              let start = calendar.date(from: DateComponents(year: year, month: number, day: 1)),
              let end = calendar.date(byAdding: .month, value: 1, to: start) else {
            throw MailRoomError.setting("--month", is: month, expected: "a month such as 2026-12")
        }
        return try store.reconcile(chargedFrom: start, before: end)
    }

    public func cancel(job id: Int64) throws -> CancelOutcome {
        guard let job = try store.job(id) else { throw MailRoomError(.notFound, "there is no job \(id)") }
        let outcome = try store.cancel(job: id, at: clock())
        if case .cancelled(let refunded) = outcome {
            log.info("job.cancelled", ["job": .integer(id), "account": .string(job.account),
                                       "document": .string(job.documentID), "refund_cents": .integer(refunded)])
        }
        return outcome
    }

    /// Removes the documents, attachments and personal data of letters whose
    /// story ended more than `age` ago, and the folders of their delivered
    /// bundles; the ledger and the bundles' totals stay.
    public func purge(olderThan age: TimeInterval) throws -> PurgeReport {
        let cutoff = clock().addingTimeInterval(-age)
        let report = try store.purge(before: cutoff, at: clock())
        for folder in report.bundleFolders where FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.removeItem(atPath: folder)
            } catch {
                throw MailRoomError(.file, subject: folder, "the store forgot bundle folder \(folder) but it could not be removed: \(error.localizedDescription); remove it by hand")
            }
        }
        log.info("purge.done", ["before": .string(UTCTimestamp.string(cutoff)), "jobs": .int(report.jobs),
                                "attachments": .int(report.attachments), "bundle_folders": .int(report.bundleFolders.count)])
        return report
    }
}
