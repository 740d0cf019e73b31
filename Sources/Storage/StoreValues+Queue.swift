import Foundation
import Letters

// The values the queue's part of `LetterStore` takes and gives: documents in,
// letters claimed, prepared, charged or cancelled.

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
    /// The document as intake checked it (`Document.storedForm`); nil when
    /// it was found wrong.
    public var letter: [UInt8]?
    /// The terms PDF it refers to, stored once by content hash.
    public var terms: [UInt8]?
    /// The sender's logo PNG, stored the same way.
    public var logo: [UInt8]?
    /// Set when the document was found wrong at intake: the job is recorded as
    /// failed with this reason, so the app can see why.
    public var failure: String?
    /// The failure's kind, for counting: `invalid_document`, `unreadable_logo`.
    public var failureCode: FailureCode?
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
    case fail(job: Int64, reason: String, code: FailureCode)
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
    /// The document as intake checked it; nil for a letter queued before Courrier stored it.
    public var letter: [UInt8]?
    /// Attempts counted before this claim: letters in hand when a process died.
    public var attempts: Int

    public init(job: Job, document: [UInt8], letter: [UInt8]?, attempts: Int) {
        self.job = job
        self.document = document
        self.letter = letter
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

/// Which jobs to list: each criterion given narrows the list.
public struct JobQuery: Sendable, Equatable {
    public var account: String?
    public var state: JobState?
    /// Queued at or after this time.
    public var since: Date?
    /// In this bundle.
    public var bundle: String?
    public var limit: Int

    public init(account: String? = nil, state: JobState? = nil, since: Date? = nil, bundle: String? = nil, limit: Int = 50) {
        self.account = account
        self.state = state
        self.since = since
        self.bundle = bundle
        self.limit = limit
    }
}
