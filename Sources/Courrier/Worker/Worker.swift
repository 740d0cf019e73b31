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
public final class Worker {
    private let mailRoom: MailRoom
    private let configuration: Configuration
    private let stop: StopRequest
    private var checkedFirstStart = false
    /// The latest slot the store has answered for: cut, empty, or cut before.
    private var settledSlot: Date?
    /// Where bundles go, read and checked at the first round; nil when they
    /// stay in the outbox.
    private var delivery: DeliverySettings?
    private var readDelivery = false

    public init(mailRoom: MailRoom) {
        self.mailRoom = mailRoom
        configuration = mailRoom.configuration
        stop = StopRequest(grace: mailRoom.configuration.grace, clock: mailRoom.clock)
    }

    /// Runs until stopped. Returns normally after a stop: the letter in hand
    /// finished, the others given back untouched. A configuration that cannot
    /// work (a missing key file, an unreadable tariff) is an error at once,
    /// not a failure at every round.
    public func run() throws {
        try configuration.validate()
        let signals = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [stop, log = mailRoom.log] in
                if !stop.isRequested {
                    log.info("worker.stopping", ["signal": .string(number == SIGTERM ? "SIGTERM" : "SIGINT")])
                }
                stop.request()
                // A store waiting for its database stops waiting.
                StoreHealth.shared.stop()
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let schedule = configuration.schedule
        mailRoom.log.info("worker.started", [
            "poll_seconds": .string(String(format: "%g", configuration.pollInterval)),
            "schedule": .string(schedule.description),
            "next_cut": schedule.nextSlot(after: mailRoom.clock()).map { .string(UTCTimestamp.string($0)) }])
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
                mailRoom.log.error("worker.error", ["reason": .string(String(describing: error))])
                try? mailRoom.store.releaseClaims(of: [mailRoom.claimant.stored], at: mailRoom.clock())
                try? mailRoom.writeMetrics(schedule: configuration.schedule)
            }
            waitForNews()
        }
        mailRoom.log.info("worker.stopped", [:])
    }

    /// How often the worker looks at the store's change counter between rounds.
    static let glance: TimeInterval = 0.2

    /// Sleeps until the poll interval is over, a stop is asked for, or
    /// another process commits to the store (a letter queued, a wallet
    /// topped up), whichever comes first: an idle worker prepares a new
    /// letter within a glance, not a poll.
    private func waitForNews() {
        let until = Date().addingTimeInterval(configuration.pollInterval)
        let seen = try? mailRoom.store.changeCounter()
        while !stop.isRequested {
            let left = until.timeIntervalSinceNow
            guard left > 0 else { return }
            stop.wait(min(Self.glance, left))
            if let seen, let now = try? mailRoom.store.changeCounter(), now != seen { return }
        }
    }

    /// One round. Tests call it with the mail room's clock set where they want.
    @discardableResult
    public func tick() throws -> MailRoom.RunReport {
        let prepare = try mailRoom.prepareAll(shouldStop: { [stop] in stop.isRequested })
        guard !stop.isRequested else { return MailRoom.RunReport(prepare: prepare, bundles: [], delivery: nil) }
        let slot = configuration.schedule.latestSlot(atOrBefore: mailRoom.clock())
        if !checkedFirstStart, let slot {
            try startSchedule(at: slot)
            checkedFirstStart = true
        }
        // A slot is asked for until the store has answered for it; then only
        // cuts left unfinished are looked at. A cut still running when the
        // grace period ends is left for the next start.
        let due = slot != nil && slot != settledSlot
        let round = try mailRoom.cutRound(slot: slot, openingNew: due, shouldStop: { [stop] in stop.isPastGrace })
        if due, let opening = round.opening, opening != .busy { settledSlot = slot }
        let bundles = round.bundles
        var delivered: MailRoom.DeliveryReport?
        if let settings = try deliverySettings(), try hasDeliveryDue() {
            delivered = try mailRoom.deliver(with: settings, ignoringBackoff: false)
        }
        try mailRoom.writeMetrics(schedule: configuration.schedule)
        return MailRoom.RunReport(prepare: prepare, bundles: bundles, delivery: delivered)
    }

    /// The very first worker on a store starts the schedule from now: the
    /// slot that has just passed counts as done, so that starting a worker at
    /// 09:55 does not cut at once for yesterday's 16:00. After that, a slot
    /// missed while no worker ran is cut as soon as one starts.
    private func startSchedule(at slot: Date) throws {
        guard try mailRoom.store.latestCutSlot() == nil else { return }
        let name = UTCTimestamp.string(slot)
        try mailRoom.store.recordSlot(name, worker: configuration.workerID, at: mailRoom.clock())
        mailRoom.log.info("schedule.started", ["slot": .string(name),
                                               "reason": .string("first worker on this store; the schedule starts after this slot")])
    }

    private func deliverySettings() throws -> DeliverySettings? {
        if !readDelivery {
            delivery = try configuration.deliverySettings()
            readDelivery = true
        }
        return delivery
    }

    /// Whether a bundle waits for delivery and its wait, if any, is over: the
    /// worker does not open a connection, or log a wait, every round.
    private func hasDeliveryDue() throws -> Bool {
        let now = mailRoom.clock()
        return try mailRoom.store.undeliveredBundles().contains { ($0.retryAt ?? now) <= now }
    }
}
