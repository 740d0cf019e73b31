import Foundation
import Letters

/// The queue of letters and the wallets that pay for them: everything a worker
/// needs to share with other workers lives here, and nothing on its disk.
///
/// Every method that changes money changes the job's state in the same
/// transaction, so a crash leaves either both or neither.
public protocol LetterStore: AnyObject {
    /// Queues a document, or returns the job that already holds `account` + `id`.
    func enqueue(_ submission: Submission, at now: Date) throws -> EnqueueOutcome

    /// Takes up to `limit` of the oldest queued jobs for `worker` for `lease`
    /// seconds, with their documents; empty when nothing is queued. Claiming a
    /// few at a time saves a transaction (and a sync to disk) per letter.
    /// Each comes with its attempts: more than none, it was in hand when a
    /// process died, and is prepared alone.
    func claimQueued(limit: Int, worker: String, lease: TimeInterval, at now: Date) throws -> [ClaimedJob]

    /// Counts an attempt at preparing a claimed job, just before it starts:
    /// if the process dies now, the store knows which letter it held. The
    /// attempt of `finished`, the letter prepared just before and not yet
    /// settled, is taken back in the same write, so that only the letter in
    /// hand is blamed. False when `worker` no longer holds the job.
    func startPreparing(job: Int64, worker: String, finished: Int64?) throws -> Bool

    /// Records what preparing several letters decided, in one transaction
    /// (one sync to disk): each charge as `charge` does it, each failure as
    /// `fail`. Returns each charge's outcome, nil for a failure.
    ///
    /// Fenced: a queued letter is charged or failed only while `worker`
    /// still holds it. A worker whose lease ran out and was taken over
    /// changes nothing (its charge comes back `.skipped(.queued)`).
    func settle(_ decisions: [PreparationDecision], worker: String, at now: Date) throws -> [ChargeOutcome?]

    /// Documents the invoicing product inserted into the store's own table
    /// (PostgreSQL's `courrier.submissions`), taken by `worker` for `lease`
    /// seconds, oldest first. They go through the same intake as files, and
    /// `enqueue` removes each (`Submission.source`) in the transaction that
    /// queues it. A column over `maximumBytes` is measured, not loaded: it
    /// comes back nil, named in `oversized`. Empty for a store without that table.
    func takeSubmissions(limit: Int, worker: String, lease: TimeInterval, maximumBytes: Int) throws -> [ProductSubmission]

    /// Extends `worker`'s claims on the submissions it took, while their
    /// files are still being read.
    func renewSubmissions(worker: String, lease: TimeInterval) throws

    /// Gives back the submissions `worker` took and has not queued.
    func releaseSubmissions(worker: String) throws

    /// The workers holding claims on queued jobs or on deliveries.
    func claimingWorkers() throws -> [String]

    /// Gives back the claims of `workers`: a worker stopping, or a round that
    /// failed, gives back what it holds; the claims of processes that are gone
    /// are given back so that their letters are prepared and their bundles
    /// delivered now rather than when the leases run out. No letter is failed
    /// for it: a letter in hand when its process died keeps the attempt it
    /// counted, and is prepared alone next.
    func releaseClaims(of workers: [String], at now: Date) throws

    /// Jobs waiting for their account to be topped up, oldest first.
    func jobsAwaitingFunds() throws -> [Job]

    /// Charges the account and marks the job prepared, or marks it
    /// awaiting_funds when the balance is short. A job is charged once.
    /// `placement` (stream, sheets, postal order) is recorded with the price;
    /// nil keeps what was recorded when the letter was priced.
    func charge(job: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?, at now: Date) throws -> ChargeOutcome

    /// Fails a job with a reason a person can act on, and its kind (`code`,
    /// such as `address_does_not_fit`) for counting; nothing is charged.
    func fail(job: Int64, reason: String, code: String, at now: Date) throws

    /// Cancels a job that has not gone to print, refunding what it was charged.
    func cancel(job: Int64, at now: Date) throws -> CancelOutcome

    func job(_ id: Int64) throws -> Job?
    func attachment(hash: String) throws -> StoredAttachment?

    /// Opens a cut for `worker`: every prepared letter not yet in a bundle is
    /// assigned to a new batch, in one transaction. Nothing is opened while
    /// another worker's cut is in progress: one cut runs at a time.
    ///
    /// `slot` names a scheduled cut: it is recorded in the same transaction,
    /// and a slot already recorded opens nothing, so that a scheduled cut
    /// happens once however often workers start.
    func openCut(batchPrefix: String, worker: String, lease: TimeInterval, slot: String?, at now: Date) throws -> CutOpening

    /// Cuts opened and never completed: a crash or a failure left them.
    func unfinishedCuts() throws -> [Cut]

    /// The latest scheduled slot recorded, cut or not; nil before the first.
    func latestCutSlot() throws -> String?
    /// Records a slot as done without cutting.
    func recordSlot(_ slot: String, worker: String, at now: Date) throws

    /// Takes the unfinished cuts that no live worker holds, to finish them.
    func claimUnfinishedCuts(worker: String, lease: TimeInterval, at now: Date) throws -> [Cut]

    /// The print streams of a batch, by name.
    func streams(in batch: String) throws -> [String]

    /// Every letter of one stream of a batch in print order, with the sheets
    /// it takes: what the cut needs to split the stream into parts.
    func slots(in batch: String, stream: String) throws -> [(position: PrintPosition, sheets: Int)]

    /// Up to `limit` letters of one stream of a batch in print order, after
    /// `position`: the cut reads a batch a page at a time.
    func letters(in batch: String, stream: String, after position: PrintPosition?, limit: Int) throws -> [BatchLetter]

    /// Extends `worker`'s claim on the cut of `batch` for `lease` seconds;
    /// false when it no longer holds it (its lease ran out and another took
    /// it over): then it must not publish the bundle.
    func renewCut(_ batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Bool

    /// Who holds the cut in progress, and since when; nil when none is.
    func cutInProgress(at now: Date) throws -> CutHolder?

    /// Takes a letter that cannot be drawn out of the cut of `batch` that
    /// `worker` holds: refunded, failed with `reason` and `code`, and no
    /// longer in the batch, in one transaction, so that the cut goes on with
    /// the others. A cut left with no letter is removed (its slot stays
    /// recorded). Nil when `worker` no longer holds the cut or the letter is
    /// not in it: nothing is changed.
    func withdrawFromCut(job: Int64, batch: String, worker: String, reason: String, code: String,
                         at now: Date) throws -> CutWithdrawal?

    /// Records the bundle as written and its letters as bundled, when
    /// `worker` still holds its cut; false otherwise, and nothing is recorded.
    func completeCut(_ batch: String, worker: String, summary: BundleSummary, at now: Date) throws -> Bool

    /// Bundles cut and not yet delivered, oldest first, with their attempts so far.
    func undeliveredBundles() throws -> [PendingDelivery]

    /// Takes the delivery of `batch` for `worker` for `lease` seconds and counts
    /// the attempt. Nil when another worker holds it or it is already delivered:
    /// one bundle is sent by one process at a time.
    func claimDelivery(batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Int?

    /// Records a failed attempt with its error and the time before which it is
    /// not tried again, and gives the claim back.
    func recordDeliveryFailure(batch: String, destination: String, reason: String, retryAt: Date, at now: Date) throws

    /// Records the bundle as delivered, and its letters with it.
    func recordDelivered(batch: String, destination: String, at now: Date) throws

    /// Records that a bundle whose folder was lost (with its machine, or
    /// deleted) was drawn again at `path` from the store, and matched the
    /// checksums recorded at its cut. `status` shows it.
    func recordRebuilt(batch: String, path: String, at now: Date) throws

    /// The envelope window an account's letters show their address through,
    /// unless a document says otherwise; nil when the account set none.
    func envelopeWindow(account: String) throws -> EnvelopeWindow?
    func setEnvelopeWindow(_ window: EnvelopeWindow?, account: String, at now: Date) throws

    func credit(account: String, cents: Int64, reference: String, at now: Date) throws -> CreditOutcome
    func balance(account: String) throws -> Int64
    func history(account: String) throws -> [LedgerEntry]
    func status(failureLimit: Int) throws -> StatusReport

    /// The figures operations watch: queue, failures, cuts, deliveries.
    func metrics() throws -> StoreMetrics

    /// Forgets the documents, attachments and failure texts of letters
    /// delivered, failed or cancelled before `cutoff`, and the folders of
    /// their delivered bundles (returned, for the caller to remove). The
    /// ledger, the jobs' counts and prices and the bundles' totals stay.
    func purge(before cutoff: Date, at now: Date) throws -> PurgeReport

    /// A number that changes when another connection, in this process or
    /// another, commits a change: a worker looks at it between rounds, and
    /// starts the next one at once when a letter was queued.
    func changeCounter() throws -> Int64

    func close()
}

/// A document as it enters the queue.
/// The rules of queueing, the same for every store.
extension Submission {
    /// The state the letter is filed in: queued, or failed when intake found it wrong.
    var initialState: JobState { failure == nil ? .queued : .failed }

    /// Whether this submission replaces `job`, already filed under its
    /// account and id with the document whose hash is `storedHash`: a failed
    /// document may be corrected and sent again under the same id (and then
    /// starts afresh: no price, no claim, no attempts); anything else is the
    /// same request made twice, and changes nothing.
    func replaces(_ job: Job, storedHash: String, newHash: String) -> Bool {
        job.state == .failed && storedHash != newHash
    }
}

public struct Submission: Sendable {
    public var account: String
    public var documentID: String
    /// The document's JSON as submitted.
    public var document: [UInt8]
    /// The terms PDF it refers to, stored once by content hash.
    public var terms: [UInt8]?
    /// The sender's logo PNG, stored the same way.
    public var logo: [UInt8]?
    /// Set when the document was found wrong at intake: the job is recorded as
    /// failed with this reason, so the app can see why.
    public var failure: String?
    /// The failure's kind, for counting: `invalid_document`, `unreadable_logo`.
    public var failureCode: String?
    /// The row of the product's submissions table this came from, removed
    /// when it is queued; nil for a file.
    public var source: Int64?

    public init(account: String, documentID: String, document: [UInt8], terms: [UInt8]? = nil,
                logo: [UInt8]? = nil, failure: String? = nil) {
        self.account = account
        self.documentID = documentID
        self.document = document
        self.terms = terms
        self.logo = logo
        self.failure = failure
    }
}

/// A document the invoicing product inserted into the store, as it inserted it:
/// hostile until intake has checked it.
public struct ProductSubmission: Sendable {
    public var id: Int64
    public var account: String
    public var documentID: String
    public var document: [UInt8]
    public var terms: [UInt8]?
    public var logo: [UInt8]?
    /// The columns too large to load, with their size in bytes: their
    /// values above are empty.
    public var oversized: [(column: String, bytes: Int64)]

    public init(id: Int64, account: String, documentID: String, document: [UInt8], terms: [UInt8]?, logo: [UInt8]?,
                oversized: [(column: String, bytes: Int64)] = []) {
        self.id = id
        self.account = account
        self.documentID = documentID
        self.document = document
        self.terms = terms
        self.logo = logo
        self.oversized = oversized
    }
}

/// A terms PDF or logo as the store keeps it.
public struct StoredAttachment: Sendable {
    public var bytes: [UInt8]
    /// True for Courrier's own copy, written at intake by the isolated reader;
    /// false for a customer's file stored as it was by a Courrier before it.
    public var normalized: Bool
}

/// What preparing a claimed letter decided.
public enum PreparationDecision: Sendable {
    /// Priced: charge it, or leave it awaiting funds.
    case charge(job: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement)
    /// Bad input, with a reason a person can act on; nothing is charged.
    case fail(job: Int64, reason: String, code: String)
}

/// A letter in the queue.
public struct Job: Sendable, Equatable {
    public var id: Int64
    public var account: String
    public var documentID: String
    public var state: JobState
    public var pages: Int?
    public var priceCents: Int64?
    public var reason: String?
    public var batch: String?
    public var termsHash: String?
    public var logoHash: String?
    /// The print stream and sheets decided when the letter was priced.
    public var stream: String?
    public var sheets: Int?
    public var createdAt: String
    public var updatedAt: String
}

public struct EnqueueOutcome: Sendable {
    public var job: Job
    /// False when the document was already queued under this account and id.
    public var created: Bool
}

public struct ClaimedJob: Sendable {
    public var job: Job
    public var document: [UInt8]
    /// Attempts counted before this claim: letters in hand when a process died.
    public var attempts: Int

    public init(job: Job, document: [UInt8], attempts: Int) {
        self.job = job
        self.document = document
        self.attempts = attempts
    }
}

public enum ChargeOutcome: Sendable, Equatable {
    case prepared(balanceAfterCents: Int64)
    case awaitingFunds(balanceCents: Int64)
    /// The job had already left the states that can be charged (cancelled, or
    /// charged by another worker): nothing was done.
    case skipped(JobState)
}

public enum CancelOutcome: Sendable, Equatable {
    case cancelled(refundedCents: Int64)
    case notCancellable(JobState)
}

/// A letter taken out of a cut: what it was refunded, and what is left to cut.
public struct CutWithdrawal: Sendable, Equatable {
    public var refundedCents: Int64
    /// Letters still in the cut; none means the cut was removed.
    public var remainingLetters: Int

    public init(refundedCents: Int64, remainingLetters: Int) {
        self.refundedCents = refundedCents
        self.remainingLetters = remainingLetters
    }
}

public enum CreditOutcome: Sendable, Equatable {
    case credited(balanceCents: Int64)
    /// This reference was credited before: the wallet is unchanged.
    case alreadyCredited(balanceCents: Int64)
}

/// What asking for a cut did.
public enum CutOpening: Sendable, Equatable {
    case opened(Cut)
    case nothingToCut
    /// Another worker's cut is in progress; try again later.
    case busy
    /// This scheduled slot was cut before.
    case slotAlreadyCut

    public var cut: Cut? {
        if case .opened(let cut) = self { return cut }
        return nil
    }
}

/// The process cutting a bundle now.
public struct CutHolder: Sendable, Equatable {
    public var batch: String
    public var worker: String
    public var since: String
}

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
    public var position: PrintPosition
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

    public init(path: String, letters: Int, pages: Int, sheets: Int, amountCents: Int64, checksums: String? = nil) {
        self.path = path
        self.letters = letters
        self.pages = pages
        self.sheets = sheets
        self.amountCents = amountCents
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
public struct StoreMetrics: Sendable, Equatable {
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
}

/// A store that could not do what was asked, for a reason the caller can report.
public struct StoreError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A timestamp as the store writes it: ISO 8601 in UTC, to the second.
public func storeTimestamp(_ date: Date) -> String {
    UTCTimestamp.string(date)
}
