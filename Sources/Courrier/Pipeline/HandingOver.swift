import Foundation
import Letters
import Storage
import Delivery

/// The hand-over step: cut bundles to the print shop's drop, each whole or
/// not at all, retried with a growing wait. A bundle whose folder is gone is
/// drawn again by the cut step (`Cutting.rebuild`).
public final class HandingOver {
    private let store: DeliveryStore
    private let rebuilder: Cutting
    /// The wait after a first failed attempt, doubled for each one after.
    private let firstRetry: TimeInterval
    private let claimant: Claimant
    private let log: EventLog
    private let clock: () -> Date

    init(store: DeliveryStore, rebuilder: Cutting, firstRetry: TimeInterval, claimant: Claimant, log: EventLog,
         clock: @escaping () -> Date) {
        self.store = store
        self.rebuilder = rebuilder
        self.firstRetry = firstRetry
        self.claimant = claimant
        self.log = log
        self.clock = clock
    }

    public struct Report: Sendable {
        public struct Delivered: Sendable {
            public var batch: String
            public var receipt: BundleDrop.Receipt
            public var seconds: Double
        }

        public struct Failed: Sendable {
            public var batch: String
            public var error: DeliveryError
            public var attempt: Int
            public var retryAt: Date
        }

        public var destination: String
        public var delivered: [Delivered] = []
        public var failed: [Failed] = []
        /// Bundles whose last attempt failed recently: their wait is not over.
        public var waiting: [PendingDelivery] = []
    }

    /// How long a worker holds a bundle it is delivering: long enough for a
    /// large bundle over a slow line. A crashed process of this machine gives
    /// its claims back at once.
    static let deliveryLease: TimeInterval = 3600

    /// Hands every cut bundle not yet delivered to `settings`' destination,
    /// oldest first. `ignoringBackoff` tries the ones whose wait is not over too.
    func deliver(with settings: DeliverySettings, ignoringBackoff: Bool) throws -> Report {
        let destination = settings.destination.description
        var report = Report(destination: destination)
        let rules = BundleDrop(root: settings.destination.root, trigger: settings.trigger)
        var drop: DropFolder?
        // Once connecting has failed, the bundles after it are not tried again
        // in this run: each would meet the same refusal, or wait for the same timeout.
        var connectFailure: DeliveryError?
        defer { drop?.close() }

        for bundle in try store.undeliveredBundles() {
            if !ignoringBackoff, let retryAt = bundle.retryAt, retryAt > clock() {
                report.waiting.append(bundle)
                log.info("delivery.waiting", ["batch": .string(bundle.batch), "destination": .string(destination),
                                              "retry_at": .string(storeTimestamp(retryAt)),
                                              "reason": bundle.lastError.map(LogValue.string)])
                continue
            }
            guard let attempt = try store.claimDelivery(batch: bundle.batch, worker: claimant.stored,
                                                        lease: Self.deliveryLease, at: clock()) else {
                continue
            }
            log.info("delivery.started", ["batch": .string(bundle.batch), "destination": .string(destination),
                                          "attempt": .int(attempt)])
            let started = Date()
            let outcome: Result<BundleDrop.Receipt, DeliveryError>
            do throws(DeliveryError) {
                // Not drawn again for a drop already found unreachable in this run.
                if let connectFailure { throw connectFailure }
                let folder = try folder(of: bundle)
                if drop == nil {
                    do throws(DeliveryError) { drop = try settings.openDrop() } catch {
                        connectFailure = error
                        throw error
                    }
                }
                outcome = .success(try rules.deliver(bundle: folder, batch: bundle.batch, to: drop!) { step in
                    self.logStep(step, batch: bundle.batch)
                })
            } catch {
                outcome = .failure(error)
                // The connection may be the thing that broke: the next bundle gets a new one.
                drop?.close()
                drop = nil
            }
            let seconds = Date().timeIntervalSince(started)
            switch outcome {
            case .success(let receipt):
                try store.recordDelivered(batch: bundle.batch, destination: destination, at: clock())
                report.delivered.append(.init(batch: bundle.batch, receipt: receipt, seconds: seconds))
                if receipt.alreadyDelivered {
                    log.info("delivery.already_delivered", ["batch": .string(bundle.batch), "destination": .string(destination),
                                                             "folder": .string(receipt.folder), "attempt": .int(attempt)])
                } else {
                    log.info("delivery.delivered", [
                        "batch": .string(bundle.batch), "destination": .string(destination), "folder": .string(receipt.folder),
                        "attempt": .int(attempt), "files": .int(receipt.filesSent), "bytes": .integer(receipt.bytesSent),
                        "bytes_kept": .integer(receipt.bytesKept), "duration_ms": .integer(Int64(seconds * 1000))])
                }
            case .failure(let error):
                let retryAt = clock().addingTimeInterval(Self.backoff(after: attempt, first: firstRetry))
                try store.recordDeliveryFailure(batch: bundle.batch, destination: destination, reason: error.message,
                                                retryAt: retryAt, at: clock())
                report.failed.append(.init(batch: bundle.batch, error: error, attempt: attempt, retryAt: retryAt))
                log.error("delivery.failed", ["batch": .string(bundle.batch), "destination": .string(destination),
                                              "attempt": .int(attempt), "code": .string(error.code.rawValue),
                                              "reason": .string(error.message),
                                              "retry_at": .string(storeTimestamp(retryAt))])
            }
        }
        return report
    }

    /// Whether a bundle waits for delivery and its wait, if any, is over: a
    /// worker does not open a connection, or log a wait, every round.
    func hasDue() throws -> Bool {
        let now = clock()
        return try store.undeliveredBundles().contains { ($0.retryAt ?? now) <= now }
    }

    /// The bundle's folder in this machine's outbox. When it is not there
    /// (cut on a machine that is gone, or deleted), it is drawn again from
    /// the store and checked against the checksums recorded at the cut.
    private func folder(of bundle: PendingDelivery) throws(DeliveryError) -> URL {
        if let path = bundle.path, FileManager.default.fileExists(atPath: path + "/SHA256SUMS") {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        let missing = bundle.path.map { "its folder \($0) is missing" } ?? "it has no folder on record"
        guard let checksums = bundle.checksums else {
            throw DeliveryError(.bundle, "bundle \(bundle.batch): \(missing), and it was cut before Courrier recorded its checksums, so it cannot be drawn again")
        }
        do {
            let folder = try rebuilder.rebuild(bundle, checksums: checksums)
            try store.recordRebuilt(batch: bundle.batch, path: folder.path, at: clock())
            log.warning("bundle.rebuilt", ["batch": .string(bundle.batch), "path": .string(folder.path),
                                           "letters": .int(bundle.letters),
                                           "reason": .string("\(missing); drawn again from the store, checksums match the cut")])
            return folder
        } catch {
            throw DeliveryError(.bundle, "bundle \(bundle.batch): \(missing) and could not be drawn again: \(error)")
        }
    }

    /// The wait after failed attempt number `attempt`: `first`, doubled for
    /// each further failure, at most an hour (or `first`, if that is longer).
    static func backoff(after attempt: Int, first: TimeInterval) -> TimeInterval {
        let doubled = first * pow(2, Double(min(max(attempt - 1, 0), 30)))
        return min(doubled, max(first, 3600))
    }

    private func logStep(_ step: BundleDrop.Step, batch: String) {
        switch step {
        case .resuming(let file, let offset, let size):
            log.info("delivery.resuming", ["batch": .string(batch), "file": .string(file),
                                           "offset": .integer(offset), "size": .integer(size)])
        case .keeping(let file, let size):
            log.debug("delivery.kept", ["batch": .string(batch), "file": .string(file), "size": .integer(size)])
        case .sent(let file, let bytes):
            log.debug("delivery.sent", ["batch": .string(batch), "file": .string(file), "bytes": .integer(bytes)])
        }
    }
}
