import Foundation
import Bundling
import Letters
import Storage

/// The cut step: opens a cut of the letters prepared (or takes back one a
/// crash left), plans its streams into parts, draws them (parts at once in
/// processes of their own) and publishes the bundle whole, recorded in the
/// store only while this process still holds the cut.
public final class Cutting {
    private let store: CutStore
    private let configuration: Configuration
    private let tariff: Tariff
    private let claimant: Claimant
    private let log: EventLog
    private let clock: () -> Date
    /// Told of each letter cut, for a progress line on a terminal.
    var progress: ProgressReporting?

    init(store: CutStore, configuration: Configuration, tariff: Tariff, claimant: Claimant, log: EventLog,
         clock: @escaping () -> Date) {
        self.store = store
        self.configuration = configuration
        self.tariff = tariff
        self.claimant = claimant
        self.log = log
        self.clock = clock
    }

    /// What a round of cutting did: the bundles written, and what asking for a
    /// new cut answered (nil when none was asked for).
    public struct Round {
        public var bundles: [BundleWriter.Result] = []
        public var opening: CutOpening?
        /// The process whose cut made this one wait.
        public var busyWith: CutHolder?
    }

    /// Finishes the cuts a crash left, then, when `openingNew`, opens one for
    /// `slot` (or an unscheduled one when `slot` is nil) and writes it.
    ///
    /// A slot is cut once, by whichever worker gets there first.
    /// `shouldStop` is asked between letters; when it says yes, the cut is
    /// left unfinished, its claim given back, for the next start to finish
    /// with the same letters.
    public func round(slot: Date?, openingNew: Bool = true,
                      shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> Round {
        var round = Round()
        let lease = Self.cutLease
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
            if let bundle = try write(cut, shouldStop: shouldStop) { round.bundles.append(bundle) }
        }
        return round
    }

    /// How long a cut is held without news from its process before another
    /// may take it over; renewed before the bundle is published.
    static let cutLease: TimeInterval = 3600

    /// Draws the bundle of `cut` from the store into the outbox, in this
    /// process's partial folder; `beforePublishing` is asked before it is
    /// renamed into place.
    private func draw(_ cut: Cut, shouldStop: @escaping @Sendable () -> Bool,
                      beforePublishing: @escaping (String) throws -> Void) throws -> BundleWriter.Result {
        var writer = BundleWriter(outbox: URL(fileURLWithPath: configuration.outbox, isDirectory: true),
                                  marks: configuration.marks, foldedEnvelope: configuration.inserting.foldedEnvelope)
        writer.sheetsPerFile = configuration.sheetsPerFile
        // Parts drawn at once each in a process of its own: Cairo 1.16 shares scaled
        // fonts between threads, and two PDF surfaces writing font subsets at once
        // trip its cache assertions (cairo_scaled_font_destroy: !scaled_font->cache_frozen).
        writer.threads = configuration.threads
        writer.claimToken = claimant.token
        writer.beforePublishing = beforePublishing
        var slots: [String: [(position: PrintPosition, sheets: Int)]] = [:]
        let streams = try store.streams(in: cut.batch).map { name in
            guard let stream = PrintStream(name: name) else {
                throw CutError(.unknownStream, batch: cut.batch, "bundle \(cut.batch) holds letters of an unknown print stream \"\(name)\"")
            }
            slots[name] = try store.slots(in: cut.batch, stream: name)
            return (stream: stream, sheets: slots[name, default: []].map(\.sheets))
        }
        self.progress?.start("cut \(cut.batch)", total: cut.letters)
        defer { self.progress?.finish() }
        let progress = self.progress.map(SharedProgress.init)
        let source = CutSource(batch: cut.batch, slots: slots, store: store,
                               configuration: configuration, tariff: tariff, shouldStop: shouldStop,
                               advance: { progress?.advance() })
        if configuration.threads > 1, let executable = IsolatedOpener.defaultExecutable() {
            writer.drawPart = { [configuration] part, drawing in
                let written = try PartProcess.draw(part, drawing, after: source.position(before: part),
                                                   executable: executable, configuration: configuration)
                for _ in 0..<part.letters.count { progress?.advance() }
                return written
            }
        }
        return try writer.write(batch: cut.batch, createdAt: cut.createdAt, streams: streams, letters: source.letters)
    }

    /// Draws again, from the store, a bundle whose folder is gone (lost with
    /// its machine, or deleted), into this machine's outbox. Rendering is
    /// deterministic: the files must match the checksums recorded at the cut,
    /// or nothing is published.
    func rebuild(_ bundle: PendingDelivery, checksums: String) throws -> URL {
        let cut = Cut(batch: bundle.batch, createdAt: bundle.openedAt, letters: bundle.letters)
        return try draw(cut, shouldStop: { false }) { drawn in
            guard drawn == checksums else {
                let differing = Self.differingFiles(checksums, drawn)
                throw MailRoomError(.bundle, subject: bundle.batch, "bundle \(bundle.batch) drawn again differs from the one cut (\(differing)): the fonts, settings (COURRIER_MARKS, COURRIER_FILE_SHEETS, COURRIER_ENVELOPE, COURRIER_FOLDED_SHEETS) or Courrier of this machine are not those of the machine that cut it")
            }
        }.folder
    }

    /// The files whose lines differ between two SHA256SUMS.
    private static func differingFiles(_ expected: String, _ drawn: String) -> String {
        let lines = Set(drawn.split(separator: "\n"))
        let names = expected.split(separator: "\n").filter { !lines.contains($0) }
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? "" }
        return names.isEmpty ? "other files" : names.joined(separator: ", ")
    }

    /// Writes the bundle of `cut`. Letters that cannot be drawn are taken
    /// out of it, refunded and failed with their reasons, and the bundle is
    /// drawn again without them: no cut is held up by one letter. Nil when
    /// no letter was left to cut.
    private func write(_ cut: Cut, shouldStop: @escaping @Sendable () -> Bool) throws -> BundleWriter.Result? {
        var cut = cut
        while true {
            do {
                return try publish(cut, shouldStop: shouldStop)
            } catch let failed as BundleWriter.LettersFailed {
                // Each round takes at least one letter out, so this ends.
                guard let remaining = try withdraw(failed.failures, from: cut) else { return nil }
                cut.letters = remaining
            }
        }
    }

    /// Takes `failures` out of `cut`; the letters left in it, nil when none is.
    private func withdraw(_ failures: [BundleWriter.LetterFailure], from cut: Cut) throws -> Int? {
        var remaining = cut.letters
        for failure in failures {
            guard let withdrawal = try store.withdrawFromCut(job: failure.job, batch: cut.batch, worker: claimant.stored,
                                                             reason: failure.reason, code: failure.code, at: clock()) else {
                throw CutError(.takenOver, batch: cut.batch, "the cut of bundle \(cut.batch) was taken over by another process while job \(failure.job) was being taken out of it")
            }
            remaining = withdrawal.remainingLetters
            log.error("job.failed", ["job": .integer(failure.job), "batch": .string(cut.batch), "code": .string(failure.code.rawValue),
                                     "refunded_cents": .integer(withdrawal.refundedCents),
                                     "reason": .string(failure.reason)])
        }
        guard remaining > 0 else {
            log.info("cut.empty", ["batch": .string(cut.batch), "reason": .string("every letter of the cut failed")])
            return nil
        }
        return remaining
    }

    private func publish(_ cut: Cut, shouldStop: @escaping @Sendable () -> Bool) throws -> BundleWriter.Result {
        let result: BundleWriter.Result
        do {
            // Nothing is published once another process has taken the cut over.
            result = try draw(cut, shouldStop: shouldStop) { [store, claimant, clock] _ in
                guard try store.renewCut(cut.batch, worker: claimant.stored, lease: Self.cutLease, at: clock()) else {
                    throw CutError(.takenOver, batch: cut.batch, "the cut of bundle \(cut.batch) was taken over by another process; this one publishes nothing")
                }
            }
        } catch let interrupted as BundleWriter.Interrupted {
            try store.releaseClaims(of: [claimant.stored], at: clock())
            log.warning("cut.interrupted", ["batch": .string(cut.batch),
                                            "reason": .string("stopping; the next start finishes this cut")])
            throw interrupted
        } catch let failed as BundleWriter.LettersFailed {
            throw failed
        } catch let mismatch as BundleWriter.PageCountMismatch {
            try? store.releaseClaims(of: [claimant.stored], at: clock())
            log.error("cut.failed", ["batch": .string(cut.batch), "reason": .string(mismatch.description)])
            throw CutError(.pageCountMismatch, batch: cut.batch, mismatch.description)
        } catch let error as CutError {
            // Taken over by another process, or a part's process failed: in their own words.
            try? store.releaseClaims(of: [claimant.stored], at: clock())
            log.error("cut.failed", ["batch": .string(cut.batch), "reason": .string(error.message)])
            throw error
        } catch {
            // A full disk, a folder that cannot be written: the letters stay in
            // this cut, and the next run finishes it.
            let reason = String(describing: error)
            try? store.releaseClaims(of: [claimant.stored], at: clock())
            log.error("cut.failed", ["batch": .string(cut.batch), "outbox": .string(configuration.outbox),
                                     "reason": .string(reason)])
            throw MailRoomError(.bundle, subject: cut.batch, "bundle \(cut.batch) could not be written in \(configuration.outbox): \(reason); its letters stay in the cut, and the next run finishes it")
        }
        let totals = result.totals
        let recorded = try store.completeCut(cut.batch, worker: claimant.stored, summary: BundleSummary(
            path: result.folder.path, letters: totals.letters, pages: totals.pages, sheets: totals.sheets,
            amountCents: totals.amountCents, checksums: result.checksums,
            placements: result.letters.map {
                BundledLetter(job: $0.job, sequence: $0.sequence, stream: $0.stream, file: $0.file, firstPage: $0.firstPage)
            }), at: clock())
        guard recorded else {
            throw CutError(.takenOver, batch: cut.batch, "the cut of bundle \(cut.batch) was taken over by another process before it was recorded")
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

    /// The very first worker on a store starts the schedule from now: the
    /// slot that has just passed counts as done, so that starting a worker at
    /// 09:55 does not cut at once for yesterday's 16:00. After that, a slot
    /// missed while no worker ran is cut as soon as one starts.
    func startSchedule(at slot: Date) throws {
        guard try store.latestCutSlot() == nil else { return }
        let name = UTCTimestamp.string(slot)
        try store.recordSlot(name, worker: configuration.workerID, at: clock())
        log.info("schedule.started", ["slot": .string(name),
                                      "reason": .string("first worker on this store; the schedule starts after this slot")])
    }

    static func batchPrefix(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }
}
