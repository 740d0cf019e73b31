import Delivery
import Foundation
import Letters
import Storage

/// Tells the product every letter's story: each event posted to its webhook,
/// in order, at least once (the receiver deduplicates by the event's id).
///
/// The event at the head is tried again with a doubling wait, from 1 second
/// up to 10 minutes, while the receiver fails or times out; after
/// `COURRIER_WEBHOOK_GIVE_UP` it is abandoned (`webhook.abandoned`, counted
/// for the alert) and the next goes. The progress is in the store, so a
/// restart sends again at most the events whose acknowledgement was not yet
/// recorded, and one worker at a time sends to an endpoint. It runs beside
/// the mail, never in its way: a receiver that is down delays no cut and no
/// delivery.
public final class Notifying {
    private let store: WebhookStore
    private let endpoint: WebhookEndpoint
    private let claimant: Claimant
    private let giveUp: TimeInterval
    private let log: EventLog
    private let clock: () -> Date

    /// How long a worker holds an endpoint without a word; renewed with every acknowledgement recorded.
    static let lease: TimeInterval = 60
    /// Events read from the store at a time.
    static let batchSize = 200
    /// Acknowledgements are recorded every so many events or seconds: a
    /// crash sends those again, with the same ids.
    static let recordEvery = (events: 100, seconds: 1.0)
    /// The longest wait between two tries of the event at the head.
    static let longestWait: TimeInterval = 600

    init(store: WebhookStore, endpoint: WebhookEndpoint, claimant: Claimant, giveUp: TimeInterval, log: EventLog,
         clock: @escaping () -> Date) {
        self.store = store
        self.endpoint = endpoint
        self.claimant = claimant
        self.giveUp = giveUp
        self.log = log
        self.clock = clock
    }

    public struct Report: Sendable, Equatable {
        public var sent = 0
        public var abandoned = 0
        /// Why the round stopped early, when the event at the head failed.
        public var failure: String?
    }

    private var display: String { WebhookPoster.display(endpoint.url) }

    /// Posts the events the endpoint has not acknowledged, oldest first,
    /// until none is left, one fails, another worker holds the endpoint, or
    /// `shouldStop` says so.
    public func sendPending(shouldStop: () -> Bool = { false }) throws -> Report {
        var report = Report()
        let now = clock()
        guard let cursor = try store.claimWebhook(endpoint: endpoint.url, worker: claimant.stored, lease: Self.lease,
                                                   since: now.addingTimeInterval(-giveUp), at: now) else { return report }
        let poster = try WebhookPoster(endpoint: endpoint, userAgent: "courrier/\(CourrierCommand.version)")
        defer {
            poster.close()
            try? store.releaseWebhook(endpoint: endpoint.url, worker: claimant.stored)
        }
        var sent = cursor.sentThrough, recorded = cursor.sentThrough, recordedAt = clock()
        /// Records what was acknowledged since the last record; false when the endpoint was taken over.
        func record() throws -> Bool {
            guard sent > recorded else { return true }
            guard try store.recordWebhookSent(endpoint: endpoint.url, through: sent, worker: claimant.stored,
                                              lease: Self.lease, at: clock()) else { return false }
            recorded = sent
            recordedAt = clock()
            return true
        }
        while !shouldStop() {
            let events = try store.events(after: sent, account: nil, job: nil, limit: Self.batchSize)
            guard !events.isEmpty else { break }
            for event in events where event.id > sent {
                if shouldStop() { break }
                if let problem = post(event, with: poster) {
                    guard try record() else { return report }
                    if let abandoned = try abandonOld(from: event, reason: problem) {
                        report.abandoned += abandoned.count
                        sent = abandoned.through
                        recorded = abandoned.through
                        continue
                    }
                    // The head's trouble started before this round when no event went through in it.
                    let head = sent == cursor.sentThrough
                    let attempts = (head ? cursor.attempts : 0) + 1
                    let wait = min(Self.longestWait, pow(2, Double(min(attempts - 1, 20))))
                    try store.recordWebhookFailure(endpoint: endpoint.url, worker: claimant.stored, reason: problem,
                                                   retryAfter: wait, at: clock())
                    log.warning("webhook.failed", ["event": .integer(event.id), "url": .string(display), "attempts": .int(attempts),
                                                   "retry_seconds": .integer(Int64(wait)), "reason": .string(problem)])
                    report.failure = problem
                    return report
                }
                sent = event.id
                report.sent += 1
                if sent - recorded >= Self.recordEvery.events || clock().timeIntervalSince(recordedAt) >= Self.recordEvery.seconds {
                    guard try record() else { return report }
                }
            }
        }
        _ = try record()
        if report.sent > 0 {
            log.info("webhook.sent", ["events": .int(report.sent), "through": .integer(sent), "url": .string(display)])
        }
        return report
    }

    /// Gives up `failed` when it is older than the give-up, and every event
    /// as old behind it: they have waited as long as an event may, and
    /// posting each to a receiver that is away would take a time-out each.
    /// Nil when `failed` is younger, or another worker took the endpoint over.
    private func abandonOld(from failed: LetterEvent, reason: String) throws -> (through: Int64, count: Int)? {
        let cutoff = clock().addingTimeInterval(-giveUp)
        func isOld(_ event: LetterEvent) -> Bool { UTCTimestamp.date(event.time).map { $0 < cutoff } ?? false }
        guard isOld(failed) else { return nil }
        var last = failed, count = 1
        scan: while true {
            let later = try store.events(after: last.id, account: nil, job: nil, limit: Self.batchSize)
            for event in later {
                guard isOld(event) else { break scan }
                last = event
                count += 1
            }
            if later.count < Self.batchSize { break }
        }
        guard try store.abandonWebhookEvents(endpoint: endpoint.url, through: last.id, count: count,
                                             worker: claimant.stored, at: clock()) else { return nil }
        log.error("webhook.abandoned", ["events": .int(count), "from": .integer(failed.id), "through": .integer(last.id),
                                        "url": .string(display), "reason": .string(reason)])
        return (last.id, count)
    }

    /// What went wrong posting `event`, or nil when the receiver took it (2xx).
    private func post(_ event: LetterEvent, with poster: WebhookPoster) -> String? {
        do {
            let answer = try poster.post(event.json, eventID: event.id, at: clock())
            guard !answer.isSuccess else { return nil }
            let body = answer.body.split(whereSeparator: \.isNewline).first.map { ": \($0.prefix(120))" } ?? ""
            return "\(display) answered HTTP \(answer.status)\(body)"
        } catch {
            return error.message
        }
    }
}
