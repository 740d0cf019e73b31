import Foundation
import Letters
import Storage
import Bundling
import Delivery

/// The answers of the verbs: a few lines for a person, or JSON for a program.
struct Output {
    var json: Bool
    /// Writes a line at once, for a verb that answers as it goes (`events --follow`).
    var stream: @Sendable (String) -> Void = { _ in }

    func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self) + "\n"
    }

    static func euros(_ cents: Int64) -> String { "\(Cents.decimalString(cents)) EUR" }

    // MARK: enqueue

    private struct EnqueuedJob: Encodable {
        var job: Int64?
        var account: String?
        var document: String?
        var state: String
        var file: String?
        var reason: String?
    }

    func enqueue(_ results: [Queueing.EnqueueResult]) -> VerbResult {
        var rows: [EnqueuedJob] = []
        var lines: [String] = []
        var failures: [String] = []
        for result in results {
            switch result {
            case .queued(let outcome):
                let job = outcome.job
                rows.append(EnqueuedJob(job: job.id, account: job.account, document: job.documentID,
                                        state: job.state.rawValue, reason: job.reason))
                let note = outcome.created ? "" : " (already queued)"
                lines.append("job \(job.id)  \(job.account)/\(job.documentID)  \(job.state.rawValue)\(note)"
                             + (job.reason.map { ": \($0)" } ?? ""))
                if job.state == .failed, let reason = job.reason {
                    failures.append("\(job.account)/\(job.documentID): \(reason)")
                }
            case .rejected(let file, let reason):
                rows.append(EnqueuedJob(state: "rejected", file: file, reason: reason))
                lines.append("rejected  \(file): \(reason)")
                failures.append("\(file): \(reason)")
            }
        }
        let failure = failures.isEmpty ? nil
            : failures.count == 1 ? failures[0] : "\(failures.count) documents were not queued; first: \(failures[0])"
        return VerbResult(text: json ? encode(rows) : lines.joined(separator: "\n") + "\n", failure: failure)
    }

    // MARK: run

    private struct RunAnswer: Encodable {
        var prepared: Int
        var failed: Int
        var awaitingFunds: Int
        var bundles: [String]
        var delivery: DeliveryAnswer?
    }

    /// What `run` did; for `cut` (`preparing: false`), without the prepare line.
    func run(_ report: MailRoom.RunReport, preparing: Bool = true) -> VerbResult {
        let prepare = report.prepare
        let delivery = report.delivery.map(deliveryAnswer)
        if json {
            return VerbResult(text: encode(RunAnswer(prepared: prepare.prepared, failed: prepare.failed,
                                                     awaitingFunds: prepare.awaitingFunds,
                                                     bundles: report.bundles.map(\.folder.path), delivery: delivery)),
                              failure: report.delivery.flatMap(Self.deliveryFailure))
        }
        var text = preparing
            ? "Prepared \(prepare.prepared), failed \(prepare.failed), awaiting funds \(prepare.awaitingFunds).\n" : ""
        if let holder = report.waitedFor {
            let who = Claimant(stored: holder.worker).map { "PID \($0.pid) on \($0.host), worker \($0.worker)" } ?? holder.worker
            text += "No new bundle: another process is cutting bundle \(holder.batch) (\(who), since \(holder.since)); "
                + "the letters prepared meanwhile go into the next cut.\n"
        } else if report.bundles.isEmpty {
            text += "No bundle: nothing was ready to cut.\n"
        }
        for bundle in report.bundles {
            let totals = bundle.totals
            text += "Bundle \(bundle.batch): \(Self.count(totals.letters, "letter")), \(Self.count(totals.pages, "page")), "
                + "\(Self.count(totals.sheets, "sheet")), \(Self.euros(totals.amountCents)) in \(bundle.folder.path)\n"
            for stream in bundle.streams where bundle.streams.count > 1 {
                text += "  \(stream.file): \(Self.count(stream.letters, "letter")), "
                    + "\(Self.count(stream.sheets, "sheet")), \(stream.envelope) envelopes\n"
            }
        }
        if let delivery = report.delivery {
            text += deliveryLines(delivery)
        }
        return VerbResult(text: text, failure: report.delivery.flatMap(Self.deliveryFailure))
    }

    // MARK: deliver

    private struct DeliveryAnswer: Encodable {
        struct Delivered: Encodable { var batch: String; var folder: String; var files: Int; var bytes: Int64; var alreadyDelivered: Bool }
        struct Failed: Encodable { var batch: String; var code: String; var reason: String; var attempt: Int; var retryAt: String }
        struct Waiting: Encodable { var batch: String; var attempts: Int; var lastError: String?; var retryAt: String? }
        var destination: String
        var delivered: [Delivered]
        var failed: [Failed]
        var waiting: [Waiting]
    }

    private func deliveryAnswer(_ report: HandingOver.Report) -> DeliveryAnswer {
        DeliveryAnswer(
            destination: report.destination,
            delivered: report.delivered.map {
                .init(batch: $0.batch, folder: $0.receipt.folder, files: $0.receipt.filesSent,
                      bytes: $0.receipt.bytesSent, alreadyDelivered: $0.receipt.alreadyDelivered)
            },
            failed: report.failed.map {
                .init(batch: $0.batch, code: $0.error.code.rawValue, reason: $0.error.message, attempt: $0.attempt,
                      retryAt: storeTimestamp($0.retryAt))
            },
            waiting: report.waiting.map {
                .init(batch: $0.batch, attempts: $0.attempts, lastError: $0.lastError, retryAt: $0.retryAt.map(storeTimestamp))
            })
    }

    private func deliveryLines(_ report: HandingOver.Report) -> String {
        var text = ""
        for delivered in report.delivered {
            let receipt = delivered.receipt
            text += receipt.alreadyDelivered
                ? "Delivered \(delivered.batch) earlier: \(receipt.folder) already has its trigger, nothing was sent again.\n"
                : "Delivered \(delivered.batch) to \(report.destination): \(receipt.filesSent) files, "
                    + "\(Self.size(receipt.bytesSent)) in \(Self.duration(delivered.seconds))"
                    + (receipt.bytesKept > 0 ? " (\(Self.size(receipt.bytesKept)) kept from an earlier attempt)" : "") + ".\n"
        }
        for failed in report.failed {
            text += "Not delivered \(failed.batch) (attempt \(failed.attempt)): \(failed.error.message). "
                + "Tried again after \(storeTimestamp(failed.retryAt)).\n"
        }
        for waiting in report.waiting {
            text += "Waiting \(waiting.batch) until \(waiting.retryAt.map(storeTimestamp) ?? "now") "
                + "(\(waiting.attempts) attempts; last error: \(waiting.lastError ?? "none")). courrier deliver --now tries it now.\n"
        }
        return text
    }

    /// The one line that makes the exit status non-zero when a bundle was not delivered.
    private static func deliveryFailure(_ report: HandingOver.Report) -> String? {
        guard let first = report.failed.first else { return nil }
        let others = report.failed.count > 1 ? " (and \(report.failed.count - 1) more)" : ""
        return "bundle \(first.batch) was not delivered\(others): \(first.error.message); it stays pending and is tried again"
    }

    func deliver(_ report: HandingOver.Report) -> VerbResult {
        let failure = Self.deliveryFailure(report)
        if json {
            return VerbResult(text: encode(deliveryAnswer(report)), failure: failure)
        }
        var text = deliveryLines(report)
        if text.isEmpty {
            text = "Nothing to deliver: every bundle has been handed over.\n"
        }
        return VerbResult(text: text, failure: failure)
    }

    static func size(_ bytes: Int64) -> String {
        bytes < 10_240 ? "\(bytes) bytes" : BundleDrop.megabytes(bytes)
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.2f s", seconds) : String(format: "%.0f s", seconds)
    }

    // MARK: render, quote, cancel

    func render(path: String, pages: Int) -> VerbResult {
        struct Answer: Encodable { var file: String; var pages: Int }
        return VerbResult(text: json ? encode(Answer(file: path, pages: pages)) : "\(path): \(pages) pages\n")
    }

    func proof(path: String, page: Int, pages: Int) -> VerbResult {
        struct Answer: Encodable { var file: String; var page: Int; var pages: Int }
        return VerbResult(text: json ? encode(Answer(file: path, page: page, pages: pages))
                          : "\(path): page \(page) of \(pages)\n")
    }

    /// The settings in force, where each came from, secrets masked.
    func config(_ settings: CourrierCommand.Settings, _ configuration: Configuration) -> VerbResult {
        let rows = configuration.effectiveSettings().map { setting in
            (key: setting.key, value: setting.value, source: settings.sources[setting.key] ?? "default")
        }
        if json {
            struct Row: Encodable { var key, value, source: String }
            return VerbResult(text: encode(rows.map { Row(key: $0.key, value: $0.value, source: $0.source) }))
        }
        let width = rows.map { $0.key.count + $0.value.count + 1 }.max() ?? 0
        return VerbResult(text: rows.map { row in
            let setting = "\(row.key)=\(row.value)"
            return setting.padding(toLength: max(width, setting.count) + 2, withPad: " ", startingAt: 0) + "# \(row.source)"
        }.joined(separator: "\n") + "\n")
    }

    func purge(_ report: PurgeReport, days: Int) -> VerbResult {
        struct Answer: Encodable { var jobs: Int; var attachments: Int; var bundleFolders: Int }
        if json {
            return VerbResult(text: encode(Answer(jobs: report.jobs, attachments: report.attachments,
                                                  bundleFolders: report.bundleFolders.count)))
        }
        return VerbResult(text: "Purged what ended more than \(days) days ago: \(Self.count(report.jobs, "letter")), "
            + "\(Self.count(report.attachments, "attachment")), \(Self.count(report.bundleFolders.count, "bundle folder")). "
            + "The ledger and the bundles' totals are kept.\n")
    }

    /// `1 letter`, `3 letters`.
    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    func quote(_ quote: Quoting.Quote) -> VerbResult {
        struct Answer: Encodable {
            var account: String
            var pages: Int
            var sheets: Int
            var envelope: String
            var priceCents: Int64
            var balanceCents: Int64
            var balanceAfterCents: Int64
            var includes: Includes
        }
        struct Includes: Encodable {
            var stamp: String
            var envelope: String
            var sheets: Int
            var color: Bool
            var duplex: Bool
        }
        if json {
            let includes = quote.includes
            return VerbResult(text: encode(Answer(account: quote.account, pages: quote.pages, sheets: quote.sheets,
                                                  envelope: quote.envelope, priceCents: quote.priceCents,
                                                  balanceCents: quote.balanceCents, balanceAfterCents: quote.balanceAfterCents,
                                                  includes: Includes(stamp: includes.stamp, envelope: includes.envelope,
                                                                     sheets: includes.sheets, color: includes.color,
                                                                     duplex: includes.duplex))))
        }
        var text = """
            Pages:          \(quote.pages) on \(quote.sheets) sheet\(quote.sheets == 1 ? "" : "s"), \(quote.envelope) envelope
            Price:          \(Self.euros(quote.priceCents))
            Includes:       \(quote.includes.description)
            Balance:        \(Self.euros(quote.balanceCents)) (\(quote.account))
            Balance after:  \(Self.euros(quote.balanceAfterCents))

            """
        if quote.balanceAfterCents < 0 {
            text += "The wallet is short: the letter would wait for funds until it is topped up.\n"
        }
        return VerbResult(text: text)
    }

    func cancel(job: Int64, _ outcome: CancelOutcome) -> VerbResult {
        struct Answer: Encodable { var job: Int64; var state: String; var refundedCents: Int64 }
        switch outcome {
        case .cancelled(let refunded):
            return VerbResult(text: json ? encode(Answer(job: job, state: "cancelled", refundedCents: refunded))
                              : "job \(job) cancelled" + (refunded > 0 ? ", \(Self.euros(refunded)) refunded\n" : "\n"))
        case .notCancellable(let state):
            return VerbResult(text: json ? encode(Answer(job: job, state: state.rawValue, refundedCents: 0)) : "",
                              failure: "job \(job) is \(state.rawValue) and can no longer be cancelled")
        }
    }

    // MARK: wallet

    func credit(account: String, cents: Int64, _ outcome: CreditOutcome) -> VerbResult {
        struct Answer: Encodable { var account: String; var balanceCents: Int64; var credited: Bool }
        switch outcome {
        case .credited(let balance):
            return VerbResult(text: json ? encode(Answer(account: account, balanceCents: balance, credited: true))
                              : "\(account): credited \(Self.euros(cents)), balance \(Self.euros(balance))\n")
        case .alreadyCredited(let balance):
            return VerbResult(text: json ? encode(Answer(account: account, balanceCents: balance, credited: false))
                              : "\(account): this reference was already credited, balance \(Self.euros(balance))\n")
        }
    }

    func balance(account: String, cents: Int64) -> VerbResult {
        struct Answer: Encodable { var account: String; var balanceCents: Int64 }
        return VerbResult(text: json ? encode(Answer(account: account, balanceCents: cents))
                          : "\(account): \(Self.euros(cents))\n")
    }

    func envelopeWindow(account: String, _ window: EnvelopeWindow?) -> VerbResult {
        struct Answer: Encodable { var account: String; var window: String; var isDefault: Bool }
        let shown = window ?? .right
        return VerbResult(text: json ? encode(Answer(account: account, window: shown.rawValue, isDefault: window == nil))
                          : "\(account): \(shown.rawValue) envelope window\(window == nil ? " (the default)" : ""), unless a document gives print.window\n")
    }

    func history(account: String, _ entries: [LedgerEntry]) -> VerbResult {
        struct Entry: Encodable {
            var id: Int64
            var kind: String
            var amountCents: Int64
            var reference: String?
            var job: Int64?
            var reverses: Int64?
            var createdAt: String
        }
        if json {
            return VerbResult(text: encode(entries.map {
                Entry(id: $0.id, kind: $0.kind.rawValue, amountCents: $0.amountCents, reference: $0.reference,
                      job: $0.job, reverses: $0.reverses, createdAt: $0.createdAt)
            }))
        }
        var balance: Int64 = 0
        var lines = ["\(account): \(entries.count) entries"]
        for entry in entries {
            balance += entry.amountCents
            let what = switch entry.kind {
            case .credit: "credit \(entry.reference ?? "")"
            case .debit: "letter, job \(entry.job ?? 0)"
            case .refund: "refund of entry \(entry.reverses ?? 0), job \(entry.job ?? 0)"
            }
            let amount = Cents.decimalString(entry.amountCents)
            lines.append("\(entry.createdAt)  \(String(repeating: " ", count: max(0, 9 - amount.count)))\(amount)  "
                         + "balance \(Cents.decimalString(balance))  \(what)")
        }
        return VerbResult(text: lines.joined(separator: "\n") + "\n")
    }
}
