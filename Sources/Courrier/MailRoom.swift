import Foundation
import Letters
import Rendering
import Storage
import Bundling
import Delivery

/// The pipeline: documents in, charged letters prepared, print bundles out,
/// handed over. Its steps are types of their own in `Pipeline/`: `Intake`,
/// `Preparation`, `Cutting` and the hand-over.
///
/// A `MailRoom` is used from one thread. It prepares on a thread per core,
/// each with a store connection of its own, and draws the parts of a cut in
/// processes of their own; several processes, each with its own mail room,
/// share a store.
public final class MailRoom {
    public let store: LetterStore
    public let tariff: Tariff
    public let log: EventLog
    let configuration: Configuration
    let renderer = LetterRenderer()
    /// Reads documents and, in isolation, the files they name.
    lazy var intake = Intake(configuration, tariff: tariff)
    let clock: () -> Date
    /// This mail room's claims in the store: its own, whatever its worker id.
    public let claimant: Claimant
    /// Told of each letter prepared and cut, for a progress line on a terminal.
    public var progress: ProgressReporting?

    /// `openStore` opens another connection to the same store, for the
    /// threads that prepare letters beside this one; without it, one thread
    /// prepares.
    public init(configuration: Configuration, store: LetterStore, tariff: Tariff, log: EventLog,
                clock: @escaping () -> Date = Date.init, openStore: (() throws -> LetterStore)? = nil) {
        self.configuration = configuration
        self.store = store
        self.tariff = tariff
        self.log = log
        self.clock = clock
        self.openStore = openStore
        claimant = Claimant.current(worker: configuration.workerID)
    }

    /// Another connection to the store, for another thread.
    let openStore: (() throws -> LetterStore)?
    /// The preparation step on this thread, with this mail room's store.
    lazy var preparation = Preparation(store: store, tariff: tariff, configuration: configuration, claimant: claimant,
                                       log: log, clock: clock)

    /// Builds the mail room a configuration describes: opens the store, reads
    /// the tariff. `readOnly`: the store must exist, and is opened to read only.
    public static func open(_ configuration: Configuration, log: EventLog, readOnly: Bool = false) throws -> MailRoom {
        let tariff = try configuration.loadTariff()
        Self.watchStore(retry: configuration.storeRetry, log: log)
        let store: LetterStore
        do {
            store = try StoreLocation.open(configuration.database, readOnly: readOnly)
        } catch let error as StoreError {
            throw MailRoomError(error.description)
        } catch {
            throw MailRoomError("cannot open the store \(StoreLocation.display(configuration.database)): \(error)")
        }
        return MailRoom(configuration: configuration, store: store, tariff: tariff, log: log,
                        openStore: readOnly ? nil : { try StoreLocation.open(configuration.database) })
    }

    public func close() {
        store.close()
    }

    /// Every store of this process tries again for `retry` seconds, and
    /// what it goes through is logged.
    static func watchStore(retry: TimeInterval, log: EventLog) {
        StoreHealth.shared.retryBudget = retry
        StoreHealth.shared.observe { event in
            switch event {
            case .retrying(let attempt, let reason):
                log.warning("store.retrying", ["attempt": .integer(Int64(attempt)), "reason": .string(reason)])
            case .unavailable(let reason):
                log.error("store.unavailable", ["reason": .string(reason)])
            case .reconnected(let seconds):
                log.info("store.reconnected", ["seconds_away": .string(String(format: "%.1f", seconds))])
            }
        }
    }

    // MARK: Prepare

    public struct PrepareReport: Sendable, Equatable {
        public var prepared = 0
        public var failed = 0
        public var awaitingFunds = 0

        mutating func add(_ other: PrepareReport) {
            prepared += other.prepared
            failed += other.failed
            awaitingFunds += other.awaitingFunds
        }
    }

    /// Charges the letters waiting for funds that their wallets can now pay,
    /// then prepares every queued letter, on `configuration.threads` threads.
    ///
    /// `shouldStop` is asked before each letter: when it says yes, the letter
    /// in hand is finished and the ones claimed but not started are given
    /// back untouched, for another worker or the next start.
    public func prepareAll(shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> PrepareReport {
        var report = PrepareReport()
        try releaseClaimsOfGoneWorkers()
        try enqueueSubmissions()
        // A letter waiting for funds is charged once its wallet covers it; until
        // then it is left alone, so that a worker's every round neither writes
        // nor logs it again.
        var balances: [String: Int64] = [:]
        for job in try store.jobsAwaitingFunds() {
            guard let pages = job.pages, let price = job.priceCents else { continue }
            let balance = try balances[job.account] ?? store.balance(account: job.account)
            balances[job.account] = balance
            guard balance >= price else { continue }
            let outcome = try store.charge(job: job.id, pages: pages, priceCents: price, placement: nil, at: clock())
            if case .prepared(let after) = outcome { balances[job.account] = after }
            Self.record(outcome, job: job, pages: pages, price: price, log: log, into: &report)
        }
        let queued = try store.metrics().jobs[.queued] ?? 0
        guard queued > 0 else { return report }
        progress?.start("prepare", total: queued)
        defer { progress?.finish() }
        let progress = self.progress.map(SharedProgress.init)
        let advance: @Sendable () -> Void = { progress?.advance() }
        // More threads than batches to share would only open connections.
        let extra = openStore == nil ? 0 : min(configuration.threads - 1, (queued - 1) / Preparation.batchSize)
        let helpers = try (0..<max(0, extra)).compactMap { _ -> PreparationThread? in
            guard let openStore else { return nil }
            let store = try openStore()
            let preparation = Preparation(store: store, tariff: tariff, configuration: configuration, claimant: claimant,
                                          log: log, clock: clock)
            return PreparationThread(store: store, preparation: preparation, shouldStop: shouldStop, advance: advance)
        }
        helpers.forEach { $0.start() }
        let own = Result { try preparation.prepareQueued(shouldStop: shouldStop, advance: advance) }
        // Every thread is waited for before an error of any is reported.
        for result in helpers.map({ $0.join() }) + [own] {
            report.add(try result.get())
        }
        return report
    }

    /// Gives back what crashed processes of this machine held, so that it is
    /// done now rather than when their leases run out.
    func releaseClaimsOfGoneWorkers() throws {
        let gone = try store.claimingWorkers().filter(Configuration.isGoneLocalWorker)
        if !gone.isEmpty {
            try store.releaseClaims(of: gone, at: clock())
            log.warning("claims.released", ["workers": .string(gone.joined(separator: ","))])
        }
    }

    static func record(_ outcome: ChargeOutcome, job: Job, pages: Int, price: Int64, log: EventLog,
                       into report: inout PrepareReport) {
        switch outcome {
        case .prepared(let balance):
            report.prepared += 1
            log.info("job.prepared", Self.fields(job, pages: pages, price: price, balance: balance))
        case .awaitingFunds(let balance):
            report.awaitingFunds += 1
            // The letter waits as awaiting_funds; what operations look for is the wallet.
            log.warning("wallet.insufficient", Self.fields(job, pages: pages, price: price, balance: balance))
        case .skipped:
            break
        }
    }

    // MARK: Cut

    /// The cut step: prepared letters into print bundles.
    lazy var cutting = Cutting(mailRoom: self)

    /// Cuts every prepared letter into a bundle: first any cut a crash left
    /// unfinished, then a new one. Returns the bundles written.
    ///
    /// `slot` is the scheduled time this cut is for: a slot is cut once, by
    /// whichever worker gets there first. `shouldStop` is asked between
    /// letters; when it says yes, the cut is left unfinished, its claim given
    /// back, for the next start to finish with the same letters.
    public func cut(slot: Date? = nil, shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> [BundleWriter.Result] {
        try cutting.round(slot: slot, openingNew: true, shouldStop: shouldStop).bundles
    }

    /// Finishes the cuts a crash left, then, when `openingNew`, opens one for
    /// `slot` (or an unscheduled one when `slot` is nil) and writes it.
    func cutRound(slot: Date?, openingNew: Bool, shouldStop: @escaping @Sendable () -> Bool) throws -> Cutting.Round {
        try cutting.round(slot: slot, openingNew: openingNew, shouldStop: shouldStop)
    }

    // MARK: Run

    public struct RunReport {
        public var prepare: PrepareReport
        public var bundles: [BundleWriter.Result]
        /// Nil when no destination is configured: the bundles stay in the outbox.
        public var delivery: DeliveryReport?
        /// The cut in progress in another process, when it made this one wait.
        public var waitedFor: CutHolder?
    }

    /// Cuts now, whatever the schedule, then hands the bundles over: `courrier cut`.
    public func cutAndDeliver() throws -> RunReport {
        let settings = try configuration.deliverySettings()
        let round = try cutRound(slot: nil, openingNew: true, shouldStop: { false })
        let delivery = try settings.map { try deliver(with: $0, ignoringBackoff: false) }
        try writeMetrics()
        return RunReport(prepare: PrepareReport(), bundles: round.bundles, delivery: delivery, waitedFor: round.busyWith)
    }

    /// One batch: prepare what is queued, cut, then hand the bundles over.
    public func run() throws -> RunReport {
        // A wrong destination is reported before anything is charged.
        let settings = try configuration.deliverySettings()
        // A run that fails gives back what it holds at once, for the next process.
        let prepare: PrepareReport, round: Cutting.Round
        do {
            prepare = try prepareAll()
            round = try cutRound(slot: nil, openingNew: true, shouldStop: { false })
        } catch {
            try? store.releaseClaims(of: [claimant.stored], at: clock())
            throw error
        }
        let bundles = round.bundles
        let delivery = try settings.map { try deliver(with: $0, ignoringBackoff: false) }
        try writeMetrics()
        log.info("run.finished", ["prepared": .int(prepare.prepared), "failed": .int(prepare.failed),
                                  "awaiting_funds": .int(prepare.awaitingFunds), "bundles": .int(bundles.count),
                                  "delivered": delivery.map { .int($0.delivered.count) },
                                  "delivery_failed": delivery.map { .int($0.failed.count) }])
        return RunReport(prepare: prepare, bundles: bundles, delivery: delivery, waitedFor: round.busyWith)
    }

    // MARK: Render and quote

    public struct Quote: Sendable, Equatable {
        public var account: String
        public var pages: Int
        public var sheets: Int
        /// `C5/6` or `DL` folded, `C4` flat.
        public var envelope: String
        public var priceCents: Int64
        public var balanceCents: Int64
        public var balanceAfterCents: Int64
    }

    /// Renders a document file as it would be mailed; nothing is queued or charged.
    public func render(file: URL) throws -> (document: Document, letter: RenderedLetter, pages: Int) {
        try Self.render(file: file, intake: intake, with: renderer, defaults: accountDefaults)
    }

    /// The document with what it leaves to its account filled in: the envelope window.
    func accountDefaults(_ document: Document) throws -> Document {
        try AccountDefaults(store: store).apply(to: document)
    }

    /// What mailing a document would cost, and what the wallet would hold
    /// after: counted as preparation counts it, without drawing the letter.
    public func quote(file: URL) throws -> Quote {
        let letter = try Self.open(file: file, intake: intake, defaults: accountDefaults)
        let price: LetterPrice
        do {
            price = try LetterPrice(letter.document, terms: letter.terms, renderer: renderer, tariff: tariff,
                                    inserting: configuration.inserting)
        } catch let error as RenderError {
            throw MailRoomError("\(file.path): \(error.description)")
        } catch let error as Tariff.PricingError {
            throw MailRoomError("\(file.path): \(error.description)")
        }
        let balance = try store.balance(account: letter.document.account)
        return Quote(account: letter.document.account, pages: price.pages, sheets: price.placement.sheets,
                     envelope: price.placement.stream.envelope.rawValue, priceCents: price.priceCents, balanceCents: balance,
                     balanceAfterCents: balance - price.priceCents)
    }

    /// Renders a document file as it would be mailed, without a store.
    /// `defaults` fills in what the document leaves to its account.
    static func render(file: URL, intake: Intake, with renderer: LetterRenderer = LetterRenderer(),
                       defaults: ((Document) throws -> Document)? = nil) throws
        -> (document: Document, letter: RenderedLetter, pages: Int) {
        let opened = try open(file: file, intake: intake, defaults: defaults)
        do {
            let letter = try renderer.render(opened.document, terms: opened.terms, logo: opened.logo)
            let pages = try PDFDocument(bytes: letter.pdf, name: "rendered letter").pageCount
            return (opened.document, letter, pages)
        } catch {
            throw MailRoomError("\(file.path): \(error.description)")
        }
    }

    /// A document file read and checked as `enqueue` reads it, with its terms
    /// and logo read in isolation into Courrier's copies.
    static func open(file: URL, intake: Intake, defaults: ((Document) throws -> Document)? = nil) throws
        -> (document: Document, terms: LetterTerms?, logo: LetterLogo?) {
        let data: Data
        do { data = try Intake.read(file) } catch {
            throw MailRoomError(error.description)
        }
        do {
            var document = try DocumentParser.parse(data)
            if let defaults { document = try defaults(document) }
            let attachments = try intake.attachments(of: document, folder: file.deletingLastPathComponent())
            let terms = try LetterTerms.open(document.terms, pdfBytes: attachments.terms?.pdf,
                                             name: document.terms.map(AttachmentCache.describe) ?? "terms")
            let logo = try attachments.logo.map { bytes throws(RenderError) in
                try LetterLogo(png: bytes, name: document.sender.logo?.name ?? "sender.logo")
            }
            return (document, terms, logo)
        } catch let error as DocumentError {
            throw MailRoomError("\(file.path): \(error.description)")
        } catch let error as RenderError {
            throw MailRoomError("\(file.path): \(error.description)")
        }
    }

    // MARK: Wallets and jobs

    public func balance(account: String) throws -> Int64 {
        try store.balance(account: account)
    }

    public func history(account: String) throws -> [LedgerEntry] {
        try store.history(account: account)
    }

    /// The envelope window an account's letters show their address through, when it set one.
    public func envelopeWindow(account: String) throws -> EnvelopeWindow? {
        try store.envelopeWindow(account: account)
    }

    /// What `courrier status` shows: jobs, failures, bundles, the figures
    /// operations watch, and the next scheduled cut.
    public func status(failureLimit: Int = 50) throws -> (report: StatusReport, metrics: StoreMetrics, nextCut: Date?) {
        (try store.status(failureLimit: failureLimit), try store.metrics(),
         configuration.schedule.nextSlot(after: clock()))
    }

    /// The most a wallet may hold: far above any postage, far below where
    /// sums of cents overflow 64 bits (or turn into SQLite's floating point).
    public static let maximumBalanceCents: Int64 = 10_000_000_000

    public func credit(account: String, cents: Int64, reference: String) throws -> CreditOutcome {
        guard DocumentParser.Identity.isValidAccount(account) else {
            throw MailRoomError("account \"\(account)\" is not a valid account name")
        }
        guard !reference.isEmpty, reference.count <= 200, !ControlCharacters.occur(in: reference) else {
            throw MailRoomError("the reference \"\(ControlCharacters.escaped(String(reference.prefix(60))))\" must be one line "
                                + "of at most 200 characters, without control characters")
        }
        let balance = try store.balance(account: account)
        guard cents <= Self.maximumBalanceCents - max(0, balance) else {
            throw MailRoomError("crediting \(Cents.decimalString(cents)) would take the wallet of \(account) over "
                                + "\(Cents.decimalString(Self.maximumBalanceCents)), the most a wallet may hold")
        }
        let outcome = try store.credit(account: account, cents: cents, reference: reference, at: clock())
        if case .credited(let balance) = outcome {
            log.info("wallet.credited", ["account": .string(account), "amount_cents": .integer(cents),
                                         "reference": .string(reference), "balance_cents": .integer(balance)])
        }
        return outcome
    }

    /// Sets the envelope window of an account's letters (nil: back to the
    /// right window); a document's own `print.window` still wins.
    public func setEnvelopeWindow(_ window: EnvelopeWindow?, account: String) throws {
        guard DocumentParser.Identity.isValidAccount(account) else {
            throw MailRoomError("account \"\(account)\" is not a valid account name")
        }
        try store.setEnvelopeWindow(window, account: account, at: clock())
        log.info("account.window_set", ["account": .string(account),
                                        "window": .string(window?.rawValue ?? EnvelopeWindow.right.rawValue)])
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
                throw MailRoomError("the store forgot bundle folder \(folder) but it could not be removed: \(error.localizedDescription); remove it by hand")
            }
        }
        log.info("purge.done", ["before": .string(UTCTimestamp.string(cutoff)), "jobs": .int(report.jobs),
                                "attachments": .int(report.attachments), "bundle_folders": .int(report.bundleFolders.count)])
        return report
    }

    public func cancel(job id: Int64) throws -> CancelOutcome {
        guard let job = try store.job(id) else { throw MailRoomError("there is no job \(id)") }
        let outcome = try store.cancel(job: id, at: clock())
        if case .cancelled(let refunded) = outcome {
            log.info("job.cancelled", ["job": .integer(id), "account": .string(job.account),
                                       "document": .string(job.documentID), "refund_cents": .integer(refunded)])
        }
        return outcome
    }

    static func fields(_ job: Job, pages: Int? = nil, price: Int64? = nil, balance: Int64? = nil,
                       reason: String? = nil) -> KeyValuePairs<String, LogValue?> {
        ["job": .integer(job.id), "account": .string(job.account), "document": .string(job.documentID),
         "pages": pages.map(LogValue.int), "price_cents": price.map(LogValue.integer),
         "balance_cents": balance.map(LogValue.integer), "reason": (reason ?? job.reason).map(LogValue.string)]
    }
}
