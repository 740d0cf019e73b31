import Foundation
import Letters
import Storage

/// The Prometheus text exposition format, as node_exporter's textfile
/// collector reads it: a `# HELP` and `# TYPE` line, then the samples, for
/// each metric.
enum MetricsText {
    /// `scheduledCut`: the first slot of the worker's schedule that the store
    /// has not answered for (cut, or found empty); in the past when a cut is late.
    /// The store's figures, or only the process's own when `metrics` is nil:
    /// the store could not be read, and what is written says so.
    /// `workingDays`: how the letters' posting is given its two working days.
    static func render(_ metrics: StoreMetrics?, worker: String, now: Date, scheduledCut: Date? = nil,
                       workingDays: WorkingDays = WorkingDays(timeZone: TimeZone(identifier: "UTC") ?? .current)) -> String {
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            text += "# HELP courrier_\(name) \(help)\n# TYPE courrier_\(name) \(type)\n"
            for sample in samples {
                text += "courrier_\(name)\(sample.labels.isEmpty ? "" : "{\(sample.labels)}") \(sample.value)\n"
            }
        }
        func one(_ value: some BinaryInteger) -> [(labels: String, value: String)] { [("", String(value))] }
        func seconds(_ date: Date) -> String { String(Int64(date.timeIntervalSince1970)) }

        let health = StoreHealth.shared
        metric("store_unreachable_seconds", "gauge", "How long the store has been out of reach; 0 when it answers.",
               [("", String(Int64(health.unreachableSince.map { max(0, now.timeIntervalSince($0)) } ?? 0)))])
        metric("store_retries_total", "counter", "Store transactions run again after a busy store, a lost race or a lost connection.",
               one(health.retries))
        guard let metrics else {
            metric("metrics_timestamp_seconds", "gauge", "When this file was written, and by which worker.",
                   [("worker=\"\(label(worker))\"", seconds(now))])
            return text
        }
        metric("jobs", "gauge", "Letters by state.",
               JobState.allCases.map { ("state=\"\($0.rawValue)\"", String(metrics.jobs[$0] ?? 0)) })
        let oldest = metrics.oldestQueuedAt.flatMap(UTCTimestamp.date).map { max(0, now.timeIntervalSince($0)) } ?? 0
        metric("oldest_queued_seconds", "gauge", "Age of the oldest queued letter; 0 when none waits.",
               [("", String(Int64(oldest)))])
        let awaiting = metrics.oldestAwaitingFundsSince.flatMap(UTCTimestamp.date).map { max(0, now.timeIntervalSince($0)) } ?? 0
        metric("oldest_awaiting_funds_seconds", "gauge",
               "How long the letter waiting longest for its wallet to be topped up has waited; 0 when none waits.",
               [("", String(Int64(awaiting)))])
        metric("failed_jobs", "gauge", "Failed letters by reason.",
               metrics.failuresByReason.sorted { $0.key < $1.key }.map { ("reason=\"\(label($0.key))\"", String($0.value)) })
        metric("bundles_total", "counter", "Bundles cut.", one(metrics.bundles))
        metric("bundled_letters_total", "counter", "Letters in the bundles cut.", one(metrics.bundlesCut.letters))
        metric("bundled_pages_total", "counter", "Pages in the bundles cut.", one(metrics.bundlesCut.pages))
        metric("bundled_sheets_total", "counter", "Sheets in the bundles cut.", one(metrics.bundlesCut.sheets))
        metric("bundled_amount_cents_total", "counter", "Amount charged for the letters in the bundles cut, in cents.",
               one(metrics.bundlesCut.amountCents))
        if let last = metrics.lastCut {
            let batch = "batch=\"\(label(last.batch))\""
            metric("last_cut_letters", "gauge", "Letters in the last cut.", [(batch, String(last.totals.letters))])
            metric("last_cut_pages", "gauge", "Pages in the last cut.", [(batch, String(last.totals.pages))])
            metric("last_cut_sheets", "gauge", "Sheets in the last cut.", [(batch, String(last.totals.sheets))])
            metric("last_cut_amount_cents", "gauge", "Amount of the last cut, in cents.", [(batch, String(last.totals.amountCents))])
            if let time = UTCTimestamp.date(last.completedAt) {
                metric("last_cut_timestamp_seconds", "gauge", "When the last cut completed, in Unix time.", [("", seconds(time))])
            }
        }
        metric("deliveries_total", "counter", "Bundles delivered to the print shop.", one(metrics.deliveries))
        metric("delivery_failures_total", "counter", "Delivery attempts that failed.", one(metrics.failedDeliveryAttempts))
        metric("undelivered_bundles", "gauge", "Bundles cut and not yet delivered.", one(metrics.undelivered))
        if let time = metrics.lastDeliveredAt.flatMap(UTCTimestamp.date) {
            metric("last_delivery_timestamp_seconds", "gauge", "When a bundle was last delivered, in Unix time.",
                   [("", seconds(time))])
        }
        metric("webhook_events_abandoned_total", "counter",
               "Events the product's webhook never took, given up after COURRIER_WEBHOOK_GIVE_UP.", one(metrics.webhookAbandoned))
        metric("webhook_events_waiting", "gauge", "Events the product's webhook has not taken yet.", one(metrics.webhookWaiting))
        let failing = metrics.webhookFailingSince.flatMap(UTCTimestamp.date).map { max(0, now.timeIntervalSince($0)) } ?? 0
        metric("webhook_failing_seconds", "gauge", "How long the product's webhook has failed to take the next event; 0 when it takes them.",
               [("", String(Int64(failing)))])
        let unacknowledged = metrics.oldestUnacknowledgedDeliveredAt.flatMap(UTCTimestamp.date)
            .map { max(0, now.timeIntervalSince($0)) } ?? 0
        metric("oldest_unacknowledged_bundle_seconds", "gauge",
               "How long ago the oldest bundle the print shop has not acknowledged (no ACK) was delivered; 0 when none.",
               [("", String(Int64(unacknowledged)))])
        let overdue = metrics.unpostedByDelivery.filter { delivery in
            UTCTimestamp.date(delivery.deliveredAt).map { workingDays.deadline(after: $0, days: 2) < now } ?? false
        }.reduce(0) { $0 + $1.letters }
        metric("letters_not_posted_overdue", "gauge",
               "Letters delivered more than two working days ago that the print shop has not reported posted (nor returned).",
               one(overdue))
        metric("bundle_spoilage_ratio", "gauge", "The share of a bundle's letters the print shop spoiled, for the last bundles it answered for.",
               metrics.spoilage.map { ("batch=\"\(label($0.batch))\"", String(format: "%.4f", $0.ratio)) })
        metric("response_lines_refused_total", "counter",
               "Lines of the print shop's response files that named no letter, did not parse, or would move a letter back.",
               one(metrics.refusedResponseLines))
        if let scheduledCut {
            metric("scheduled_cut_timestamp_seconds", "gauge",
                   "The next scheduled cut the store has not answered for, in Unix time: in the past, it is late.",
                   [("", seconds(scheduledCut))])
        }
        metric("metrics_timestamp_seconds", "gauge", "When this file was written, and by which worker.",
               [("worker=\"\(label(worker))\"", seconds(now))])
        return text
    }

    /// A label value, its backslashes, quotes and line breaks escaped.
    static func label(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
