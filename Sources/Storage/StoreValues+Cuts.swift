import Foundation
import Letters

// The values of cuts, bundles, deliveries and the ledger, as `LetterStore`
// gives them.

/// A batch being cut.
public struct Cut: Sendable, Equatable {
    public var batch: String
    public var createdAt: String
    public var letters: Int

    public init(batch: String, createdAt: String, letters: Int) {
        self.batch = batch
        self.createdAt = createdAt
        self.letters = letters
    }
}

/// One letter of a batch.
public struct BatchLetter: Sendable {
    public var job: Job
    public var document: [UInt8]
    /// The document as intake checked it; nil for a letter queued before Courrier stored it.
    public var letter: [UInt8]?
    public var position: PrintPosition
    /// The spoiled printing this one replaces, when it is a reprint: it is not charged again.
    public var reprintOf: Reprint?
}

/// A letter's place in its stream's print order.
public struct PrintPosition: Sendable, Equatable {
    public var sortKey: String
    public var job: Int64

    public init(sortKey: String, job: Int64) {
        self.sortKey = sortKey
        self.job = job
    }
}

public struct BundleSummary: Sendable, Equatable {
    public var path: String
    public var letters: Int
    public var pages: Int
    public var sheets: Int
    public var amountCents: Int64
    /// The bundle's SHA256SUMS: a bundle drawn again must match it.
    public var checksums: String?
    /// Where each letter sits in the bundle: each letter's `bundled` event says it.
    public var placements: [BundledLetter]

    public init(path: String, letters: Int, pages: Int, sheets: Int, amountCents: Int64, checksums: String? = nil,
                placements: [BundledLetter] = []) {
        self.path = path
        self.letters = letters
        self.pages = pages
        self.sheets = sheets
        self.amountCents = amountCents
        self.placements = placements
        self.checksums = checksums
    }
}

/// A bundle waiting to reach the print shop.
public struct PendingDelivery: Sendable, Equatable {
    public var batch: String
    /// The bundle's folder in the outbox.
    public var path: String?
    public var letters: Int
    public var cutAt: String
    public var attempts: Int
    public var lastError: String?
    public var lastAttemptAt: String?
    /// Not tried again before this time; nil when it may be tried now.
    public var retryAt: Date?
    /// Where the last attempt went.
    public var destination: String?
    /// When its cut was opened: what the bundle's files say, and what a
    /// rebuild writes again.
    public var openedAt: String = ""
    /// SHA256SUMS as the cut wrote it; nil for bundles cut before it was recorded.
    public var checksums: String?
}

public struct LedgerEntry: Sendable, Equatable {
    public enum Kind: String, Sendable { case credit, debit, refund }
    public var id: Int64
    public var account: String
    public var kind: Kind
    /// Positive for credits and refunds, negative for debits.
    public var amountCents: Int64
    public var reference: String?
    public var job: Int64?
    /// The debit a refund reverses.
    public var reverses: Int64?
    public var createdAt: String
}

/// What a purge removed.
public struct PurgeReport: Sendable, Equatable {
    public var jobs = 0
    public var attachments = 0
    /// The outbox folders of the bundles purged.
    public var bundleFolders: [String] = []

    public init() {}
}

/// What `LetterStore.metrics()` counts.
public struct StoreMetrics: Sendable {
    public struct Cut: Sendable, Equatable {
        public var letters = 0
        public var pages = 0
        public var sheets = 0
        public var amountCents: Int64 = 0
    }

    public struct LastCut: Sendable, Equatable {
        public var batch: String
        public var completedAt: String
        public var totals: Cut
    }

    public var jobs: [JobState: Int] = [:]
    /// When the oldest queued letter was queued.
    public var oldestQueuedAt: String?
    /// Since when the letter waiting longest for funds has waited.
    public var oldestAwaitingFundsSince: String?
    public var failuresByReason: [String: Int] = [:]
    /// Bundles cut (delivered or not), and what they held in all.
    public var bundles = 0
    public var bundlesCut = Cut()
    public var lastCut: LastCut?
    /// Bundles delivered, attempts that failed, and bundles waiting.
    public var deliveries = 0
    public var failedDeliveryAttempts = 0
    public var undelivered = 0
    public var lastDeliveredAt: String?
    /// The product's webhook, over its endpoints: events given up on, events
    /// not yet acknowledged, and since when the event at a head has failed.
    public var webhookAbandoned = 0
    public var webhookWaiting: Int64 = 0
    public var webhookFailingSince: String?
    /// The print shop's side: since when the oldest bundle delivered and not
    /// acknowledged was delivered; the letters delivered and not yet posted
    /// (nor returned), by the time of their delivery; the spoiled share of
    /// the last bundles answered for; the response lines refused.
    public var oldestUnacknowledgedDeliveredAt: String?
    public var unpostedByDelivery: [(deliveredAt: String, letters: Int)] = []
    public var spoilage: [(batch: String, ratio: Double)] = []
    public var refusedResponseLines = 0

    public init() {}
}

public struct StatusReport: Sendable {
    public struct Bundle: Sendable {
        public var batch: String
        public var state: String
        public var letters: Int
        public var pages: Int
        public var amountCents: Int64
        public var path: String?
        public var createdAt: String
        /// How often its folder was drawn again from the store, and when last.
        public var rebuilt = 0
        public var lastRebuiltAt: String?
    }

    public var jobs: [JobState: Int]
    public var failures: [Job]
    public var bundles: [Bundle]
    /// Bundles not yet delivered, with their last error.
    public var deliveries: [PendingDelivery]
    /// The product's webhook endpoints: how far each has got, and its trouble.
    public var webhooks: [WebhookState] = []
}

/// A timestamp as the store writes it: ISO 8601 in UTC, to the second.
public func storeTimestamp(_ date: Date) -> String {
    UTCTimestamp.string(date)
}

/// Where a letter sits in its bundle, as the print shop finds it.
public struct BundledLetter: Sendable, Equatable {
    public var job: Int64
    /// Its place in print order, from 1.
    public var sequence: Int
    public var stream: String
    /// The PDF it is printed from, and its first page there, from 1.
    public var file: String
    public var firstPage: Int

    public init(job: Int64, sequence: Int, stream: String, file: String, firstPage: Int) {
        self.job = job
        self.sequence = sequence
        self.stream = stream
        self.file = file
        self.firstPage = firstPage
    }
}

/// Where a worker holding an endpoint starts: after `sentThrough`.
public struct WebhookCursor: Sendable, Equatable {
    public var endpoint: String
    public var sentThrough: Int64
    /// Failed tries of the event after `sentThrough`, and since when it fails.
    public var attempts: Int
    public var failingSince: Date?
}

/// An endpoint's progress, as the status and the metrics show it.
public struct WebhookState: Sendable, Equatable {
    public var endpoint: String
    public var sentThrough: Int64
    /// Events not yet acknowledged.
    public var waiting: Int64
    public var attempts: Int
    public var failingSince: String?
    public var lastError: String?
    /// Events given up on after failing for as long as they may.
    public var abandoned: Int
    public var retryAt: String?
}

/// What applying a response file did.
public struct AnswersOutcome: Sendable, Equatable {
    public var applied = 0
    /// Lines applied before, from this file or another: each applies once.
    public var repeated = 0
    /// Lines that name no letter, or would move one back.
    public var refused: [ResponseFile.Problem] = []
}

/// An address a letter came back from, held for its account.
public struct AddressHold: Sendable, Equatable {
    public var account: String
    /// The address as it was printed, its lines joined by " / ".
    public var lines: String
    /// The letter that came back.
    public var job: Int64
    public var returnedOn: String
    /// The post office's reason, as the print shop wrote it.
    public var reason: String?
}

/// One line of the reconciliation: the letters of one account in one
/// bundle, or charged and never printed (`batch` nil).
public struct ReconciliationRow: Sendable, Equatable {
    public var batch: String?
    public var account: String
    /// Printings in the bundle, reprints included, and their sheets.
    public var letters = 0
    public var sheets = 0
    /// What the ledger debited for them (reprints are not charged again), and refunded since.
    public var chargedCents: Int64 = 0
    public var refundedCents: Int64 = 0
    /// Printings of letters spoiled before, not charged again.
    public var reprints = 0
    /// The print shop's last word on each printing.
    public var posted = 0
    public var spoiled = 0
    public var returned = 0
    public var unanswered = 0

    public init(batch: String?, account: String) {
        self.batch = batch
        self.account = account
    }
}

/// The reconciliation of the letters charged in a period: its rows sum to
/// the ledger's debits and refunds of those letters, to the cent.
public struct Reconciliation: Sendable, Equatable {
    public var rows: [ReconciliationRow]
    /// The ledger's own sums, for the same letters.
    public var debitedCents: Int64
    public var refundedCents: Int64
}
