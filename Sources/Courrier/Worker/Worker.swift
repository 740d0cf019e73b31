import Bundling
import Delivery
import Dispatch
import Foundation
import Letters
import Storage

/// `courrier worker`: prepares letters as they arrive, cuts bundles on the
/// schedule, and hands them over right after; until SIGTERM or SIGINT.
///
/// Each round (a tick) prepares what is queued, cuts if a scheduled slot has
/// passed that no worker has cut yet, delivers the bundles whose turn has
/// come, and writes the metrics file; then the worker sleeps for the poll
/// interval, or until it is told to stop.
///
/// The worker composes the mail room's services and runs them in that order;
/// it holds each step, and no step knows of another.
public final class Worker {
    private let claims: Claims
    private let queueing: Queueing
    private let preparing: Preparing
    private let cutting: Cutting
    private let handingOver: HandingOver
    private let takingAnswers: TakingAnswers
    /// When the drop is next read for the print shop's answers; nil: at the first round.
    private var nextAnswers: Date?
    private let metrics: MetricsFile
    /// Watched between rounds: another process committed to the store.
    private let records: RecordStore
    private let configuration: Configuration
    private let log: EventLog
    private let clock: () -> Date
    private let stop: StopRequest
    private var checkedFirstStart = false
    /// The latest slot the store has answered for: cut, empty, or cut before.
    private var settledSlot: Date?
    /// Where bundles go, read and checked at the first round; nil when they
    /// stay in the outbox.
    private var delivery: DeliverySettings?
    private var readDelivery = false
    /// Sends events to the product's webhook beside the rounds; nil when none is set.
    private let notifying: NotifyingThread?

    public init(mailRoom: MailRoom) {
        claims = mailRoom.claims
        queueing = mailRoom.queueing
        preparing = mailRoom.preparing
        cutting = mailRoom.cutting
        handingOver = mailRoom.handingOver
        takingAnswers = mailRoom.takingAnswers
        metrics = mailRoom.metrics
        records = mailRoom.store
        configuration = mailRoom.configuration
        log = mailRoom.log
        clock = mailRoom.clock
        stop = StopRequest(grace: configuration.grace, clock: clock)
        notifying = configuration.webhookURL == nil ? nil : NotifyingThread(stop: stop, log: log) { [configuration] in
            let store = try StoreLocation.open(configuration.database)
            guard let sender = try mailRoom.notifying(on: store) else {
                store.close()
                return nil
            }
            return (sender, store)
        }
    }

    /// Runs until stopped. Returns normally after a stop: the letter in hand
    /// finished, the others given back untouched. A configuration that cannot
    /// work (a missing key file, an unreadable tariff) is an error at once,
    /// not a failure at every round.
    public func run() throws {
        try configuration.validate()
        let signals = stop.watchSignals { [log] signal in log.info("worker.stopping", ["signal": .string(signal)]) }
        defer { signals.forEach { $0.cancel() } }
        notifying?.start()
        defer {
            stop.request()
            notifying?.join()
        }
        let schedule = configuration.schedule
        log.info("worker.started", [
            "poll_seconds": .string(String(format: "%g", configuration.pollInterval)),
            "schedule": .string(schedule.description),
            "next_cut": schedule.nextSlot(after: clock()).map { .string(UTCTimestamp.string($0)) }])
        while !stop.isRequested {
            do {
                try tick()
            } catch is BundleWriter.Interrupted {
                break
            } catch {
                // A store that is busy or a disk that is full now may be fine at
                // the next round; the error is logged, what the round held is
                // given back at once (not when its leases run out), and the
                // worker goes on.
                log.error("worker.error", ["reason": .string(String(describing: error))])
                try? claims.releaseOwn()
                try? metrics.write(schedule: configuration.schedule)
            }
            waitForNews()
        }
        log.info("worker.stopped", [:])
    }

    /// How often the worker looks at the store's change counter between rounds.
    static let glance: TimeInterval = 0.2

    /// Sleeps until the poll interval is over, a stop is asked for, or
    /// another process commits to the store (a letter queued, a wallet
    /// topped up), whichever comes first: an idle worker prepares a new
    /// letter within a glance, not a poll.
    private func waitForNews() {
        let until = Date().addingTimeInterval(configuration.pollInterval)
        let seen = try? records.changeCounter()
        while !stop.isRequested {
            let left = until.timeIntervalSinceNow
            guard left > 0 else { return }
            stop.wait(min(Self.glance, left))
            if let seen, let now = try? records.changeCounter(), now != seen { return }
        }
    }

    /// One round. Tests call it with the mail room's clock set where they want.
    @discardableResult
    public func tick() throws -> MailRoom.RunReport {
        try claims.releaseGone()
        try queueing.takeSubmissions()
        let prepare = try preparing.prepareAll(shouldStop: { [stop] in stop.isRequested })
        guard !stop.isRequested else { return MailRoom.RunReport(prepare: prepare, bundles: [], delivery: nil) }
        let slot = configuration.schedule.latestSlot(atOrBefore: clock())
        if !checkedFirstStart, let slot {
            try cutting.startSchedule(at: slot)
            checkedFirstStart = true
        }
        // A slot is asked for until the store has answered for it; then only
        // cuts left unfinished are looked at. A cut still running when the
        // grace period ends is left for the next start.
        let due = slot != nil && slot != settledSlot
        let round = try cutting.round(slot: slot, openingNew: due, shouldStop: { [stop] in stop.isPastGrace })
        if due, let opening = round.opening, opening != .busy { settledSlot = slot }
        let bundles = round.bundles
        var delivered: HandingOver.Report?
        if let settings = try deliverySettings() {
            if try handingOver.hasDue() {
                delivered = try handingOver.deliver(with: settings, ignoringBackoff: false)
            }
            // After a hand-over, and every COURRIER_RESPONSES_EVERY: a drop
            // that cannot be read now is read at the next turn, and holds up nothing.
            if delivered?.delivered.isEmpty == false || nextAnswers.map({ clock() >= $0 }) ?? true {
                do {
                    _ = try takingAnswers.take(with: settings)
                } catch {
                    log.error("responses.error", ["reason": .string(String(describing: error))])
                }
                nextAnswers = clock().addingTimeInterval(configuration.responsesEvery)
            }
        }
        try metrics.write(schedule: configuration.schedule)
        return MailRoom.RunReport(prepare: prepare, bundles: bundles, delivery: delivered)
    }

    private func deliverySettings() throws -> DeliverySettings? {
        if !readDelivery {
            delivery = try configuration.deliverySettings()
            readDelivery = true
        }
        return delivery
    }
}
