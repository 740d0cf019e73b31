import Foundation
import Letters
import Rendering
import Storage
import Bundling
import Delivery

/// The pipeline: documents in, charged letters prepared, print bundles out.
///
/// One `MailRoom` runs on one thread; several processes, each with its own,
/// share a store.
public final class MailRoom {
    public let store: LetterStore
    public let tariff: Tariff
    public let log: EventLog
    let configuration: Configuration
    let renderer = LetterRenderer()
    private lazy var attachments = AttachmentCache(store: store, intake: intake)
    /// Reads documents and, in isolation, the files they name.
    lazy var intake = Intake(opener: IsolatedOpener(limits: configuration.untrusted), tariff: tariff)
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
        let store: LetterStore
        do {
            store = readOnly ? try SQLiteStore(readingPath: configuration.database)
                : try SQLiteStore(path: configuration.database)
        } catch let error as StoreError {
            throw MailRoomError(error.description)
        } catch {
            throw MailRoomError("cannot open the store \(configuration.database): \(error)")
        }
        return MailRoom(configuration: configuration, store: store, tariff: tariff, log: log,
                        openStore: readOnly ? nil : { try SQLiteStore(path: configuration.database) })
    }

    public func close() {
        store.close()
    }

    // MARK: Enqueue

    public enum EnqueueResult {
        case queued(EnqueueOutcome)
        case rejected(file: String, reason: String)
    }

    /// Queues each file; a file that cannot be read or identified is rejected
    /// and the others go on.
    public func enqueue(files: [URL]) throws -> [EnqueueResult] {
        try files.map { file in
            let submission: Submission
            do throws(Intake.Rejection) {
                submission = try intake.submission(fromFile: file)
            } catch {
                log.error("job.rejected", ["file": .string(file.path), "reason": .string(error.reason)])
                return .rejected(file: file.path, reason: error.reason)
            }
            let outcome = try store.enqueue(submission, at: clock())
            let job = outcome.job
            if outcome.created {
                if job.state == .failed {
                    log.error("job.failed", Self.fields(job, reason: job.reason))
                } else {
                    log.info("job.queued", Self.fields(job))
                }
            }
            return .queued(outcome)
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
        for helper in helpers {
            let result = helper.join()
            if case .success(let theirs) = result { report.add(theirs) }
            if case .failure(let error) = result { throw error }
        }
        report.add(try own.get())
        return report
    }

    /// Gives back what crashed processes of this machine held, so that it is
    /// done now rather than when their leases run out.
    func releaseClaimsOfGoneWorkers() throws {
        let gone = try store.claimingWorkers().filter(Configuration.isGoneLocalWorker)
        if !gone.isEmpty {
            try store.releaseClaims(of: gone, crashed: true, at: clock())
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

    /// Cuts every prepared letter into a bundle: first any cut a crash left
    /// unfinished, then a new one. Returns the bundles written.
    ///
    /// `slot` is the scheduled time this cut is for: a slot is cut once, by
    /// whichever worker gets there first. `shouldStop` is asked between
    /// letters; when it says yes, the cut is left unfinished, its claim given
    /// back, for the next start to finish with the same letters.
    public func cut(slot: Date? = nil, shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> [BundleWriter.Result] {
        try cutRound(slot: slot, openingNew: true, shouldStop: shouldStop).bundles
    }

    /// What a round of cutting did: the bundles written, and what asking for a
    /// new cut answered (nil when none was asked for).
    struct CutRound {
        var bundles: [BundleWriter.Result] = []
        var opening: CutOpening?
        /// The process whose cut made this one wait.
        var busyWith: CutHolder?
    }

    /// Finishes the cuts a crash left, then, when `openingNew`, opens one for
    /// `slot` (or an unscheduled one when `slot` is nil) and writes it.
    func cutRound(slot: Date?, openingNew: Bool, shouldStop: @escaping @Sendable () -> Bool) throws -> CutRound {
        var round = CutRound()
        let lease = Self.cutLease
        // A cut held by a crashed process of this machine is finished now, not in an hour.
        try releaseClaimsOfGoneWorkers()
        // Looked at first, so that a worker's every round takes no write lock for nothing.
        var cuts = try store.unfinishedCuts().isEmpty
            ? [] : try store.claimUnfinishedCuts(worker: claimant.stored, lease: lease, at: clock())
        if openingNew {
            let slotName = slot.map { UTCTimestamp.string($0) }
            let opening = try store.openCut(batchPrefix: Self.batchPrefix(clock()), worker: claimant.stored,
                                            lease: lease, slot: slotName, at: clock())
            round.opening = opening
            switch opening {
            case .opened(let cut):
                cuts.append(cut)
            case .nothingToCut:
                if let slotName { log.info("cut.empty", ["slot": .string(slotName)]) }
            case .busy:
                let holder = try store.cutInProgress(at: clock())
                round.busyWith = holder
                log.info("cut.waiting", ["slot": slotName.map(LogValue.string), "batch": holder.map { .string($0.batch) },
                                         "holder": holder.map { .string(Claimant(stored: $0.worker)?.description ?? $0.worker) },
                                         "since": holder.map { .string($0.since) },
                                         "reason": .string("another process is cutting")])
            case .slotAlreadyCut:
                log.debug("cut.already_done", ["slot": slotName.map(LogValue.string)])
            }
        }
        for cut in cuts {
            round.bundles.append(try write(cut, shouldStop: shouldStop))
        }
        return round
    }

    /// How long a cut is held without news from its process before another
    /// may take it over; renewed before the bundle is published.
    static let cutLease: TimeInterval = 3600

    private func write(_ cut: Cut, shouldStop: @escaping @Sendable () -> Bool) throws -> BundleWriter.Result {
        var writer = BundleWriter(outbox: URL(fileURLWithPath: configuration.outbox, isDirectory: true),
                                  marks: configuration.marks, foldedEnvelope: configuration.inserting.foldedEnvelope)
        writer.sheetsPerFile = configuration.sheetsPerFile
        // Parts drawn at once each in a process of its own: Cairo 1.16 shares scaled
        // fonts between threads, and two PDF surfaces writing font subsets at once
        // trip its cache assertions (cairo_scaled_font_destroy: !scaled_font->cache_frozen).
        writer.threads = configuration.threads
        // This process's own partial folder; and nothing is published once another has taken the cut over.
        writer.claimToken = claimant.token
        writer.beforePublishing = { [store, claimant, clock] in
            guard try store.renewCut(cut.batch, worker: claimant.stored, lease: Self.cutLease, at: clock()) else {
                throw MailRoomError("the cut of bundle \(cut.batch) was taken over by another process; this one publishes nothing")
            }
        }
        var slots: [String: [(position: PrintPosition, sheets: Int)]] = [:]
        let streams = try store.streams(in: cut.batch).map { name in
            guard let stream = PrintStream(name: name) else {
                throw MailRoomError("bundle \(cut.batch) holds letters of an unknown print stream \"\(name)\"")
            }
            slots[name] = try store.slots(in: cut.batch, stream: name)
            return (stream: stream, sheets: slots[name, default: []].map(\.sheets))
        }
        if configuration.threads > 1, let executable = IsolatedOpener.defaultExecutable() {
            let positions = slots.mapValues { $0.map(\.position) }
            writer.drawPart = { [configuration, progress = self.progress.map(SharedProgress.init)] part, drawing in
                let stream = positions[part.stream.name] ?? []
                let after = part.letters.lowerBound > 0 && part.letters.lowerBound <= stream.count
                    ? stream[part.letters.lowerBound - 1] : nil
                let written = try PartProcess.draw(part, drawing, after: after, executable: executable,
                                                   configuration: configuration)
                for _ in 0..<part.letters.count { progress?.advance() }
                return written
            }
        }
        self.progress?.start("cut \(cut.batch)", total: cut.letters)
        defer { self.progress?.finish() }
        let progress = self.progress.map(SharedProgress.init)
        let source = CutSource(batch: cut.batch, slots: slots, store: store,
                               configuration: configuration, tariff: tariff, shouldStop: shouldStop,
                               advance: { progress?.advance() })
        let result: BundleWriter.Result
        do {
            result = try writer.write(batch: cut.batch, createdAt: cut.createdAt, streams: streams, letters: source.letters)
        } catch let interrupted as BundleWriter.Interrupted {
            try store.releaseClaims(of: [claimant.stored], crashed: false, at: clock())
            log.warning("cut.interrupted", ["batch": .string(cut.batch),
                                            "reason": .string("stopping; the next start finishes this cut")])
            throw interrupted
        } catch let mismatch as BundleWriter.PageCountMismatch {
            try? store.releaseClaims(of: [claimant.stored], crashed: false, at: clock())
            log.error("cut.failed", ["batch": .string(cut.batch), "reason": .string(mismatch.description)])
            throw MailRoomError(mismatch.description)
        } catch {
            // A full disk, a folder that cannot be written: the letters stay in
            // this cut, and the next run finishes it.
            let reason = String(describing: error)
            try? store.releaseClaims(of: [claimant.stored], crashed: false, at: clock())
            log.error("cut.failed", ["batch": .string(cut.batch), "outbox": .string(configuration.outbox),
                                     "reason": .string(reason)])
            throw MailRoomError("bundle \(cut.batch) could not be written in \(configuration.outbox): \(reason); its letters stay in the cut, and the next run finishes it")
        }
        let totals = result.totals
        let recorded = try store.completeCut(cut.batch, worker: claimant.stored, summary: BundleSummary(
            path: result.folder.path, letters: totals.letters, pages: totals.pages, sheets: totals.sheets,
            amountCents: totals.amountCents), at: clock())
        guard recorded else {
            throw MailRoomError("the cut of bundle \(cut.batch) was taken over by another process before it was recorded")
        }
        for letter in result.letters {
            log.info("job.bundled", ["job": .integer(letter.job), "account": .string(letter.account),
                                     "document": .string(letter.document), "batch": .string(cut.batch),
                                     "stream": .string(letter.stream), "sequence": .int(letter.sequence)])
        }
        for stream in result.streams {
            log.info("bundle.stream", ["batch": .string(cut.batch), "stream": .string(stream.name), "file": .string(stream.file),
                                       "envelope": .string(stream.envelope), "letters": .int(stream.letters),
                                       "sheets": .int(stream.sheets)])
        }
        log.info("bundle.cut", ["batch": .string(cut.batch), "letters": .int(totals.letters), "pages": .int(totals.pages),
                                "sheets": .int(totals.sheets), "amount_cents": .integer(totals.amountCents),
                                "streams": .int(result.streams.count), "marks": .string(configuration.marks.description),
                                "path": .string(result.folder.path)])
        return result
    }

    static func batchPrefix(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
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
        let prepare = try prepareAll()
        let round = try cutRound(slot: nil, openingNew: true, shouldStop: { false })
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
        try Self.accountDefaults(document, store: store)
    }

    static func accountDefaults(_ document: Document, store: LetterStore) throws -> Document {
        guard document.print.window == nil else { return document }
        var document = document
        document.print.window = try store.envelopeWindow(account: document.account)
        return document
    }

    /// What mailing a document would cost, and what the wallet would hold after.
    public func quote(file: URL) throws -> Quote {
        let (document, _, pages) = try render(file: file)
        let placement = configuration.inserting.placement(for: document, pages: pages)
        let price: Int64
        do { price = try tariff.priceCents(pages: pages, country: document.recipient.country, placement: placement) } catch {
            throw MailRoomError("\(file.path): \(error.description)")
        }
        let balance = try store.balance(account: document.account)
        return Quote(account: document.account, pages: pages, sheets: placement.sheets,
                     envelope: placement.stream.envelope.rawValue, priceCents: price, balanceCents: balance,
                     balanceAfterCents: balance - price)
    }

    /// Renders a document file as it would be mailed, without a store.
    /// `defaults` fills in what the document leaves to its account.
    static func render(file: URL, intake: Intake, with renderer: LetterRenderer = LetterRenderer(),
                       defaults: ((Document) throws -> Document)? = nil) throws
        -> (document: Document, letter: RenderedLetter, pages: Int) {
        let data: Data
        do { data = try Intake.read(file) } catch {
            throw MailRoomError(error.description)
        }
        do {
            var document = try DocumentParser.parse(data)
            if let defaults { document = try defaults(document) }
            // The terms and logo are read as enqueue reads them: in isolation, into Courrier's copies.
            let attachments = try intake.attachments(of: document, folder: file.deletingLastPathComponent())
            let terms = try LetterTerms.open(document.terms, pdfBytes: attachments.terms?.pdf,
                                             name: document.terms.map(AttachmentCache.describe) ?? "terms")
            let logo = try attachments.logo.map { bytes throws(RenderError) in
                try LetterLogo(png: bytes, name: document.sender.logo?.name ?? "sender.logo")
            }
            let letter = try renderer.render(document, terms: terms, logo: logo)
            let pages = try PDFDocument(bytes: letter.pdf, name: "rendered letter").pageCount
            return (document, letter, pages)
        } catch let error as DocumentError {
            throw MailRoomError("\(file.path): \(error.description)")
        } catch let error as RenderError {
            throw MailRoomError("\(file.path): \(error.description)")
        }
    }

    // MARK: Wallets and jobs

    public func credit(account: String, cents: Int64, reference: String) throws -> CreditOutcome {
        guard DocumentParser.Identity.isValidAccount(account) else {
            throw MailRoomError("account \"\(account)\" is not a valid account name")
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
