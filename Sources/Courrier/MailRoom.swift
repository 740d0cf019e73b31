import Foundation
import Letters
import Storage
import Bundling

/// Courrier's services on one store, composed from a configuration. Each step
/// is a service of its own in `Pipeline/` that holds only the part of the
/// store it uses: `Queueing`, `Preparing`, `Cutting`, `HandingOver`; the
/// product's and operations' questions are `Quoting`, `Accounts` and
/// `Records` in `Desk/`. No step reaches another through the mail room: it
/// only builds them, and runs them in rounds (`run`, `courrier worker`'s
/// `Worker`).
///
/// A `MailRoom` is used from one thread. Preparation runs on a thread per
/// core, each with a store connection of its own, and the parts of a cut are
/// drawn in processes of their own; several processes, each with its own
/// mail room, share a store.
public final class MailRoom {
    public let store: LetterStore
    let configuration: Configuration
    let log: EventLog
    let clock: () -> Date
    /// This mail room's claims in the store: its own, whatever its worker id.
    public let claimant: Claimant
    let claims: Claims
    public let queueing: Queueing
    public let preparing: Preparing
    public let cutting: Cutting
    public let handingOver: HandingOver
    let metrics: MetricsFile
    public let quoting: Quoting
    public let accounts: Accounts
    public let records: Records
    public let stories: Stories
    public let takingAnswers: TakingAnswers

    /// Told of each letter prepared and cut, for a progress line on a terminal.
    public var progress: ProgressReporting? {
        didSet {
            preparing.progress = progress
            cutting.progress = progress
        }
    }

    /// `openStore` opens another connection to the same store, for the
    /// threads that prepare letters beside this one; without it, one thread
    /// prepares.
    public init(configuration: Configuration, store: LetterStore, tariff: Tariff, log: EventLog,
                clock: @escaping () -> Date = Date.init, openStore: (() throws -> LetterStore)? = nil) {
        self.configuration = configuration
        self.store = store
        self.log = log
        self.clock = clock
        let claimant = Claimant.current(worker: configuration.workerID)
        self.claimant = claimant
        let intake = Intake(configuration, tariff: tariff)
        claims = Claims(store: store, claimant: claimant, log: log, clock: clock)
        queueing = Queueing(store: store, intake: intake, threads: configuration.threads, claimant: claimant, log: log,
                            clock: clock)
        preparing = Preparing(store: store, openStore: openStore, tariff: tariff, configuration: configuration,
                              claimant: claimant, log: log, clock: clock)
        cutting = Cutting(store: store, configuration: configuration, tariff: tariff, claimant: claimant, log: log,
                          clock: clock)
        handingOver = HandingOver(store: store, rebuilder: cutting, firstRetry: configuration.deliveryRetry, claimant: claimant,
                                  log: log, clock: clock)
        metrics = MetricsFile(store: store, path: configuration.metricsPath, worker: configuration.workerID,
                              workingDays: WorkingDays(holidays: configuration.holidays, timeZone: configuration.schedule.timeZone),
                              clock: clock)
        quoting = Quoting(store: store, intake: intake, tariff: tariff, inserting: configuration.inserting)
        accounts = Accounts(store: store, log: log, clock: clock)
        records = Records(store: store, schedule: configuration.schedule, log: log, clock: clock)
        stories = Stories(store: store)
        takingAnswers = TakingAnswers(store: store, reprints: configuration.reprints, log: log, clock: clock)
    }

    /// Builds the mail room a configuration describes: opens the store, reads
    /// the tariff. `readOnly`: the store must exist, and is opened to read only.
    public static func open(_ configuration: Configuration, log: EventLog, readOnly: Bool = false) throws -> MailRoom {
        let tariff = try configuration.loadTariff()
        Self.watchStore(retry: configuration.storeRetry, log: log)
        let store = try StoreLocation.open(configuration.database, readOnly: readOnly)
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

    // MARK: Rounds

    public struct RunReport {
        public var prepare: Preparing.Report
        public var bundles: [BundleWriter.Result]
        /// Nil when no destination is configured: the bundles stay in the outbox.
        public var delivery: HandingOver.Report?
        /// The cut in progress in another process, when it made this one wait.
        public var waitedFor: CutHolder?
    }

    /// A round of preparation: what crashed processes of this machine held
    /// given back, the product's submissions queued, then every queued
    /// letter prepared (`Preparing.prepareAll`).
    public func prepareAll(shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> Preparing.Report {
        try claims.releaseGone()
        try queueing.takeSubmissions()
        return try preparing.prepareAll(shouldStop: shouldStop)
    }

    /// Cuts every prepared letter into a bundle: first any cut a crash left
    /// unfinished, then a new one (`Cutting.round`). Returns the bundles written.
    public func cut(slot: Date? = nil, shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> [BundleWriter.Result] {
        try claims.releaseGone()
        return try cutting.round(slot: slot, shouldStop: shouldStop).bundles
    }

    /// Hands every cut bundle not yet delivered to the configured destination,
    /// oldest first. `ignoringBackoff` tries the ones whose wait is not over too.
    public func deliver(ignoringBackoff: Bool) throws -> HandingOver.Report {
        guard let settings = try configuration.deliverySettings() else {
            throw MailRoomError(.setting, subject: "COURRIER_DELIVER", "no destination to deliver to: give --deliver sftp://USER@HOST/PATH or file:///PATH (COURRIER_DELIVER)")
        }
        try claims.releaseGone()
        return try handingOver.deliver(with: settings, ignoringBackoff: ignoringBackoff)
    }

    /// The product's webhook sender on `store` (a connection of the thread
    /// that sends), or nil when no webhook is set.
    func notifying(on store: WebhookStore) throws -> Notifying? {
        guard let endpoint = try configuration.webhookEndpoint() else { return nil }
        return Notifying(store: store, endpoint: endpoint, claimant: claimant, giveUp: configuration.webhookGiveUp,
                         log: log, clock: clock)
    }

    /// Posts the events the product's webhook has not taken yet, after the
    /// mail's own work: a receiver that fails is logged and tried again at
    /// the next run, and fails nothing of the run.
    @discardableResult
    public func notifyProduct() -> Notifying.Report? {
        do {
            return try notifying(on: store)?.sendPending()
        } catch {
            log.error("webhook.error", ["reason": .string(String(describing: error))])
            return nil
        }
    }

    /// Reads the print shop's acknowledgements and response files from the
    /// drop once: `courrier responses`.
    public func takeAnswers() throws -> TakingAnswers.Report {
        guard let settings = try configuration.deliverySettings() else {
            throw MailRoomError(.setting, subject: "COURRIER_DELIVER", "no drop to read the print shop's answers from: give --deliver sftp://USER@HOST/PATH or file:///PATH (COURRIER_DELIVER)")
        }
        return try takingAnswers.take(with: settings)
    }

    /// Cuts now, whatever the schedule, then hands the bundles over: `courrier cut`.
    public func cutAndDeliver() throws -> RunReport {
        let settings = try configuration.deliverySettings()
        try claims.releaseGone()
        let round = try cutting.round(slot: nil)
        let delivery = try settings.map { try handingOver.deliver(with: $0, ignoringBackoff: false) }
        notifyProduct()
        try metrics.write()
        return RunReport(prepare: Preparing.Report(), bundles: round.bundles, delivery: delivery, waitedFor: round.busyWith)
    }

    /// One batch: prepare what is queued, cut, then hand the bundles over.
    public func run() throws -> RunReport {
        // A wrong destination is reported before anything is charged.
        let settings = try configuration.deliverySettings()
        // A run that fails gives back what it holds at once, for the next process.
        let prepare: Preparing.Report, round: Cutting.Round
        do {
            prepare = try prepareAll()
            round = try cutting.round(slot: nil)
        } catch {
            try? claims.releaseOwn()
            throw error
        }
        let bundles = round.bundles
        let delivery = try settings.map { try handingOver.deliver(with: $0, ignoringBackoff: false) }
        notifyProduct()
        try metrics.write()
        log.info("run.finished", ["prepared": .int(prepare.prepared), "failed": .int(prepare.failed),
                                  "awaiting_funds": .int(prepare.awaitingFunds), "bundles": .int(bundles.count),
                                  "delivered": delivery.map { .int($0.delivered.count) },
                                  "delivery_failed": delivery.map { .int($0.failed.count) }])
        return RunReport(prepare: prepare, bundles: bundles, delivery: delivery, waitedFor: round.busyWith)
    }
}
