import Foundation
import Letters
import Rendering
import Storage

/// The preparation step: claims queued letters, counts each one's pages from
/// its layout, prices it, and settles a claimed batch (charges and failures)
/// in one transaction.
///
/// Not `Sendable`: a preparation has its own store connection, renderer and
/// attachments, and runs on one thread. `Preparing` runs one per
/// core, each claiming from the same queue.
final class Preparation {
    let store: PreparationStore
    let renderer = LetterRenderer()
    let attachments: AttachmentCache
    /// Accounts' envelope windows, read once a claimed batch.
    private var defaults: AccountDefaults
    let tariff: Tariff
    let configuration: Configuration
    let claimant: Claimant
    let log: EventLog
    let clock: () -> Date

    /// Letters claimed at a time: one transaction claims them, one settles them.
    static let batchSize = 16

    init(store: PreparationStore, tariff: Tariff, configuration: Configuration, claimant: Claimant, log: EventLog,
         clock: @escaping () -> Date) {
        self.store = store
        self.tariff = tariff
        self.configuration = configuration
        self.claimant = claimant
        self.log = log
        self.clock = clock
        attachments = AttachmentCache(store: store, intake: Intake(configuration, tariff: tariff))
        defaults = AccountDefaults(store: store)
    }

    /// Prepares queued letters until none is left or `shouldStop` says so;
    /// then the letter in hand is finished and those claimed but not started
    /// are given back untouched. `advance` hears of each letter done.
    func prepareQueued(shouldStop: () -> Bool, advance: () -> Void) throws -> Preparing.Report {
        var report = Preparing.Report()
        while true {
            let claimed = try store.claimQueued(limit: Self.batchSize, worker: claimant.stored, lease: 300, at: clock())
            guard !claimed.isEmpty else { return report }
            defaults = AccountDefaults(store: store)
            var decisions: [(ClaimedJob, PreparationDecision)] = []
            var previous: Int64?
            var stopping = false
            for job in claimed {
                if shouldStop() {
                    stopping = true
                    break
                }
                // Counted before it starts, the one before taken back: a letter that
                // kills its process is known by name.
                guard try store.startPreparing(job: job.job.id, worker: claimant.stored, finished: previous) else { continue }
                previous = job.job.id
                // In hand when a process died: prepared alone, so that only a
                // letter that kills that process too is blamed.
                guard job.attempts > 0 else {
                    decisions.append((job, try decide(job)))
                    advance()
                    continue
                }
                do {
                    decisions.append((job, try IsolatedPreparation.decide(job, configuration: configuration)))
                    advance()
                } catch {
                    // Its process could not decide (the store away, the machine
                    // short): the letter keeps its claim until the lease runs
                    // out and is tried alone again then; the others go on.
                    log.error("job.deferred", job.job.logFields(reason: "\(error)"))
                }
            }
            try settle(decisions, into: &report)
            if stopping {
                try store.releaseClaims(of: [claimant.stored], at: clock())
                return report
            }
        }
    }

    /// Prices and counts one letter as intake checked it, writing nothing. What is wrong
    /// with the letter fails it; a store or machine that fails is an error
    /// of the round, and the letter stays queued.
    func decide(_ claimed: ClaimedJob) throws -> PreparationDecision {
        let job = claimed.job
        #if DEBUG
        // A failpoint of test builds only (never compiled into a release): a
        // poison letter that kills the process preparing it.
        if job.documentID.hasPrefix("FAILPOINT-CRASH") { abort() }
        #endif
        do {
            let document = try defaults.apply(to: Document.stored(claimed.letter, json: claimed.document))
            if let hold = try store.addressHold(account: document.account, address: document.recipient.holdKey) {
                return .fail(job: job.id, reason: "a letter to this address (\(hold.lines)) came back on \(hold.returnedOn)"
                                 + (hold.reason.map { ": \($0)" } ?? "") + "; correct the address, or lift the hold: "
                                 + "courrier address release \(hold.account) \(hold.job)", code: .returnedAddress)
            }
            try tariff.checkEstimate(document)
            let terms = try attachments.terms(for: document.terms, attachmentHash: job.termsHash)
            // Decoding the logo checks that it is there and whole; drawing it cannot change the count.
            _ = try attachments.logo(for: document.sender.logo, attachmentHash: job.logoHash)
            // As `quote` counts it; the cut checks the printed stream with Poppler again.
            let price = try LetterPrice(document, terms: terms, renderer: renderer, tariff: tariff,
                                        inserting: configuration.inserting)
            return .charge(job: job.id, pages: price.pages, priceCents: price.priceCents, placement: price.placement)
        } catch let error as DocumentError {
            return .fail(job: job.id, reason: error.description, code: FailureCode.invalidDocument)
        } catch let error as RenderError {
            return .fail(job: job.id, reason: error.description, code: error.code)
        } catch let error as Tariff.PricingError {
            return .fail(job: job.id, reason: error.description, code: FailureCode(error))
        }
    }

    /// Records a batch's decisions in one transaction, then logs each.
    private func settle(_ decisions: [(ClaimedJob, PreparationDecision)], into report: inout Preparing.Report) throws {
        guard !decisions.isEmpty else { return }
        let outcomes = try store.settle(decisions.map(\.1), worker: claimant.stored, at: clock())
        for ((claimed, decision), outcome) in zip(decisions, outcomes) {
            let job = claimed.job
            switch (decision, outcome) {
            case (.charge(_, let pages, let price, _), let outcome?):
                report.record(outcome, job: job, pages: pages, price: price, log: log)
            case (.fail(_, let reason, _), _):
                report.failed += 1
                log.error("job.failed", job.logFields(reason: reason))
            case (.charge, nil):
                break
            }
        }
    }
}
