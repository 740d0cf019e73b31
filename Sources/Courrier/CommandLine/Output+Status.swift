import Foundation
import Letters
import Storage
import Bundling
import Delivery

/// `courrier status`: the queue, failures, bundles and deliveries, for a
/// person or a program.
extension Output {
    /// The queue, failures, bundles and deliveries, and the figures the
    /// metrics file carries (`now` to tell the age of the oldest letter).
    func status(_ report: StatusReport, metrics: StoreMetrics, nextCut: Date?, now: Date) -> VerbResult {
        let oldest = metrics.oldestQueuedAt.flatMap(UTCTimestamp.date).map { Int(max(0, now.timeIntervalSince($0))) }
        struct Failure: Encodable { var job: Int64; var account: String; var document: String; var reason: String; var failedAt: String }
        struct Bundle: Encodable {
            var batch: String; var state: String; var letters: Int; var pages: Int; var amountCents: Int64
            var path: String?; var createdAt: String
            /// How often its folder was lost and drawn again from the store, and when last.
            var rebuilt: Int; var lastRebuiltAt: String?
        }
        struct Delivery: Encodable {
            var batch: String; var state: String; var attempts: Int; var lastError: String?; var lastAttemptAt: String?
            var retryAt: String?; var destination: String?
        }
        struct LastCut: Encodable { var batch: String; var completedAt: String; var letters, pages, sheets: Int; var amountCents: Int64 }
        struct Answer: Encodable {
            var jobs: [String: Int]; var oldestQueuedSeconds: Int?; var failuresByReason: [String: Int]
            var failures: [Failure]; var bundles: [Bundle]; var lastCut: LastCut?; var deliveries: [Delivery]
            var deliveredBundles: Int; var failedDeliveryAttempts: Int; var lastDeliveryAt: String?
            var nextScheduledCut: String?
            var webhooks: [Webhook]
        }
        struct Webhook: Encodable {
            var url: String; var sentThrough: Int64; var waiting: Int64; var attempts: Int; var failingSince: String?
            var lastError: String?; var abandoned: Int; var retryAt: String?
        }
        let counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, report.jobs[$0] ?? 0) })
        if json {
            return VerbResult(text: encode(Answer(
                jobs: counts,
                oldestQueuedSeconds: oldest,
                failuresByReason: metrics.failuresByReason,
                failures: report.failures.map {
                    Failure(job: $0.id, account: $0.account, document: $0.documentID, reason: $0.reason ?? "", failedAt: $0.updatedAt)
                },
                bundles: report.bundles.map {
                    Bundle(batch: $0.batch, state: $0.state, letters: $0.letters, pages: $0.pages,
                           amountCents: $0.amountCents, path: $0.path, createdAt: $0.createdAt,
                           rebuilt: $0.rebuilt, lastRebuiltAt: $0.lastRebuiltAt)
                },
                lastCut: metrics.lastCut.map {
                    LastCut(batch: $0.batch, completedAt: $0.completedAt, letters: $0.totals.letters, pages: $0.totals.pages,
                            sheets: $0.totals.sheets, amountCents: $0.totals.amountCents)
                },
                deliveries: report.deliveries.map {
                    Delivery(batch: $0.batch, state: $0.lastError == nil ? "pending" : "failed", attempts: $0.attempts,
                             lastError: $0.lastError, lastAttemptAt: $0.lastAttemptAt,
                             retryAt: $0.retryAt.map(storeTimestamp), destination: $0.destination)
                },
                deliveredBundles: metrics.deliveries, failedDeliveryAttempts: metrics.failedDeliveryAttempts,
                lastDeliveryAt: metrics.lastDeliveredAt, nextScheduledCut: nextCut.map { UTCTimestamp.string($0) },
                webhooks: report.webhooks.map {
                    Webhook(url: WebhookPoster.display($0.endpoint), sentThrough: $0.sentThrough, waiting: $0.waiting,
                            attempts: $0.attempts, failingSince: $0.failingSince, lastError: $0.lastError,
                            abandoned: $0.abandoned, retryAt: $0.retryAt)
                })))
        }
        var lines = ["Jobs"]
        for state in JobState.allCases {
            lines.append("  \(state.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0))\(report.jobs[state] ?? 0)")
        }
        if let oldest {
            lines.append("  oldest queued letter waits for \(oldest) s")
        }
        if !metrics.failuresByReason.isEmpty {
            lines.append("Failures by reason")
            for (reason, count) in metrics.failuresByReason.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
                lines.append("  \(reason.padding(toLength: 24, withPad: " ", startingAt: 0))\(count)")
            }
        }
        if let last = metrics.lastCut {
            lines.append("Last cut \(last.batch) at \(last.completedAt): \(Self.count(last.totals.letters, "letter")), "
                         + "\(Self.count(last.totals.pages, "page")), \(Self.count(last.totals.sheets, "sheet")), "
                         + Self.euros(last.totals.amountCents))
        }
        if let nextCut {
            lines.append("Next scheduled cut \(UTCTimestamp.string(nextCut)) (the worker's schedule)")
        }
        lines.append("Delivered \(Self.count(metrics.deliveries, "bundle")), \(Self.count(metrics.failedDeliveryAttempts, "failed attempt"))"
                     + (metrics.lastDeliveredAt.map { ", last at \($0)" } ?? ""))
        if !report.failures.isEmpty {
            lines.append("Failures")
            for job in report.failures {
                lines.append("  job \(job.id)  \(job.account)/\(job.documentID): \(job.reason ?? "")")
            }
        }
        if !report.bundles.isEmpty {
            lines.append("Bundles")
            for bundle in report.bundles {
                lines.append("  \(bundle.batch)  \(bundle.state)  \(bundle.letters) letters  \(bundle.pages) pages  "
                             + "\(Self.euros(bundle.amountCents))  \(bundle.path ?? "")"
                             + (bundle.rebuilt > 0
                                ? "  (folder lost and rebuilt from the store \(bundle.rebuilt == 1 ? "once" : "\(bundle.rebuilt) times"), last at \(bundle.lastRebuiltAt ?? "?"))"
                                : ""))
            }
        }
        if !report.deliveries.isEmpty {
            lines.append("Deliveries not done")
            for delivery in report.deliveries {
                guard let error = delivery.lastError else {
                    lines.append("  \(delivery.batch)  pending")
                    continue
                }
                lines.append("  \(delivery.batch)  failed  attempt \(delivery.attempts) at \(delivery.lastAttemptAt ?? "?")"
                             + ", next after \(delivery.retryAt.map(storeTimestamp) ?? "now"): \(error)")
            }
        }
        if !report.webhooks.isEmpty {
            lines.append("Webhooks")
            for webhook in report.webhooks {
                var line = "  \(WebhookPoster.display(webhook.endpoint))  sent through event \(webhook.sentThrough), "
                    + "\(Self.count(Int(webhook.waiting), "event")) waiting"
                if webhook.abandoned > 0 { line += ", \(webhook.abandoned) abandoned" }
                if let error = webhook.lastError, let since = webhook.failingSince {
                    line += "; failing since \(since), \(Self.count(webhook.attempts, "attempt")), next after \(webhook.retryAt ?? "now"): \(error)"
                }
                lines.append(line)
            }
        }
        return VerbResult(text: lines.joined(separator: "\n") + "\n")
    }
}
