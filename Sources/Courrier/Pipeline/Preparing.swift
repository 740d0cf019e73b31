import Foundation
import Letters
import Storage

/// The preparation step as a service: charges the letters waiting for funds
/// that their wallets can now pay, then prepares every queued letter, on a
/// thread per core (`Preparation` on each, with a store connection of its own).
public final class Preparing {
    public struct Report: Sendable, Equatable {
        public var prepared = 0
        public var failed = 0
        public var awaitingFunds = 0

        mutating func add(_ other: Report) {
            prepared += other.prepared
            failed += other.failed
            awaitingFunds += other.awaitingFunds
        }

        /// Counts and logs what charging a letter did.
        mutating func record(_ outcome: ChargeOutcome, job: Job, pages: Int, price: Int64, log: EventLog) {
            switch outcome {
            case .prepared(let balance):
                prepared += 1
                log.info("job.prepared", job.logFields(pages: pages, price: price, balance: balance))
            case .awaitingFunds(let balance):
                awaitingFunds += 1
                // The letter waits as awaiting_funds; what operations look for is the wallet.
                log.warning("wallet.insufficient", job.logFields(pages: pages, price: price, balance: balance))
            case .skipped:
                break
            }
        }
    }

    /// A store connection that preparation uses, this thread's or another's.
    typealias Store = PreparationStore & RecordStore

    private let store: Store
    /// Another connection to the store, for another thread; nil: one thread prepares.
    private let openStore: (() throws -> LetterStore)?
    private let tariff: Tariff
    private let configuration: Configuration
    private let claimant: Claimant
    private let log: EventLog
    private let clock: () -> Date
    /// Told of each letter prepared, for a progress line on a terminal.
    var progress: ProgressReporting?
    /// The preparation on this thread, with this service's store.
    private lazy var preparation = makePreparation(store)

    init(store: Store, openStore: (() throws -> LetterStore)?, tariff: Tariff, configuration: Configuration,
         claimant: Claimant, log: EventLog, clock: @escaping () -> Date) {
        self.store = store
        self.openStore = openStore
        self.tariff = tariff
        self.configuration = configuration
        self.claimant = claimant
        self.log = log
        self.clock = clock
    }

    private func makePreparation(_ store: PreparationStore) -> Preparation {
        Preparation(store: store, tariff: tariff, configuration: configuration, claimant: claimant, log: log, clock: clock)
    }

    /// Charges what waits for funds and can now be paid, then prepares what
    /// is queued.
    ///
    /// `shouldStop` is asked before each letter: when it says yes, the letter
    /// in hand is finished and the ones claimed but not started are given
    /// back untouched, for another worker or the next start.
    func prepareAll(shouldStop: @escaping @Sendable () -> Bool) throws -> Report {
        var report = try chargeAwaitingFunds()
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
            return PreparationThread(store: store, preparation: makePreparation(store), shouldStop: shouldStop, advance: advance)
        }
        helpers.forEach { $0.start() }
        let own = Result { try preparation.prepareQueued(shouldStop: shouldStop, advance: advance) }
        // Every thread is waited for before an error of any is reported.
        for result in helpers.map({ $0.join() }) + [own] {
            report.add(try result.get())
        }
        return report
    }

    /// A letter waiting for funds is charged once its wallet covers it; until
    /// then it is left alone, so that a worker's every round neither writes
    /// nor logs it again.
    private func chargeAwaitingFunds() throws -> Report {
        var report = Report()
        var balances: [String: Int64] = [:]
        for job in try store.jobsAwaitingFunds() {
            guard let pages = job.pages, let price = job.priceCents else { continue }
            let balance = try balances[job.account] ?? store.balance(account: job.account)
            balances[job.account] = balance
            guard balance >= price else { continue }
            let outcome = try store.charge(job: job.id, pages: pages, priceCents: price, placement: nil, at: clock())
            if case .prepared(let after) = outcome { balances[job.account] = after }
            report.record(outcome, job: job, pages: pages, price: price, log: log)
        }
        return report
    }
}

extension Job {
    /// The fields a job's log lines share.
    func logFields(pages: Int? = nil, price: Int64? = nil, balance: Int64? = nil,
                   reason: String? = nil) -> KeyValuePairs<String, LogValue?> {
        ["job": .integer(id), "account": .string(account), "document": .string(documentID),
         "pages": pages.map(LogValue.int), "price_cents": price.map(LogValue.integer),
         "balance_cents": balance.map(LogValue.integer), "reason": (reason ?? self.reason).map(LogValue.string)]
    }
}
