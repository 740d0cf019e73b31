import Foundation
import Letters

/// The queue of letters and the wallets that pay for them: everything a worker
/// needs to share with other workers lives here, and nothing on its disk.
///
/// Every method that changes money changes the job's state in the same
/// transaction, so a crash leaves either both or neither.
///
/// A step holds only the part it uses: `QueueStore` for intake,
/// `PreparationStore`, `CutStore`, `DeliveryStore`; a connection is all of them.
public protocol LetterStore: QueueStore, PreparationStore, CutStore, DeliveryStore, RecordStore, WebhookStore, AnswerStore {
    func close()
}

/// Intake's part: documents queued, from files or from the product's own table.
public protocol QueueStore: AnyObject {
    /// Queues a document, or returns the job that already holds `account` + `id`.
    func enqueue(_ submission: Submission, at now: Date) throws -> EnqueueOutcome

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
}

/// Who holds what: every step that claims letters, cuts or deliveries gives them back through it.
public protocol ClaimStore: AnyObject {
    /// The workers holding claims on queued jobs or on deliveries.
    func claimingWorkers() throws -> [String]

    /// Gives back the claims of `workers`: a worker stopping, or a round that
    /// failed, gives back what it holds; the claims of processes that are gone
    /// are given back so that their letters are prepared and their bundles
    /// delivered now rather than when the leases run out. No letter is failed
    /// for it: a letter in hand when its process died keeps the attempt it
    /// counted, and is prepared alone next.
    func releaseClaims(of workers: [String], at now: Date) throws
}

/// The terms PDFs and logos letters name, kept once by their hash.
public protocol AttachmentStore: AnyObject {
    func attachment(hash: String) throws -> StoredAttachment?
}

/// What an account set for its letters.
public protocol AccountStore: AnyObject {
    /// The envelope window an account's letters show their address through,
    /// unless a document says otherwise; nil when the account set none.
    func envelopeWindow(account: String) throws -> EnvelopeWindow?
    func setEnvelopeWindow(_ window: EnvelopeWindow?, account: String, at now: Date) throws
}

/// An account's prepaid wallet and its ledger.
public protocol WalletStore: AnyObject {
    func credit(account: String, cents: Int64, reference: String, at now: Date) throws -> CreditOutcome
    func balance(account: String) throws -> Int64
    func history(account: String) throws -> [LedgerEntry]
}

/// Preparation's part: queued letters claimed, priced and charged or failed.
public protocol PreparationStore: ClaimStore, AttachmentStore, AccountStore, WalletStore, AddressHoldStore {
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

    /// Jobs waiting for their account to be topped up, oldest first.
    func jobsAwaitingFunds() throws -> [Job]

    /// Charges the account and marks the job prepared, or marks it
    /// awaiting_funds when the balance is short. A job is charged once.
    /// `placement` (stream, sheets, postal order) is recorded with the price;
    /// nil keeps what was recorded when the letter was priced.
    func charge(job: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?, at now: Date) throws -> ChargeOutcome

    /// Fails a job with a reason a person can act on, and its kind (`code`,
    /// such as `address_does_not_fit`) for counting; nothing is charged.
    func fail(job: Int64, reason: String, code: FailureCode, at now: Date) throws
}

/// The scheduled cut slots: which one was answered for last.
public protocol ScheduleStore: AnyObject {
    /// The latest scheduled slot recorded, cut or not; nil before the first.
    func latestCutSlot() throws -> String?

    /// Records a slot as done without cutting.
    func recordSlot(_ slot: String, worker: String, at now: Date) throws
}

/// The cut's part: prepared letters into batches, read back in print order, recorded as bundles.
public protocol CutStore: ClaimStore, AttachmentStore, AccountStore, ScheduleStore {
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
    func withdrawFromCut(job: Int64, batch: String, worker: String, reason: String, code: FailureCode,
                         at now: Date) throws -> CutWithdrawal?

    /// Records the bundle as written and its letters as bundled, when
    /// `worker` still holds its cut; false otherwise, and nothing is recorded.
    func completeCut(_ batch: String, worker: String, summary: BundleSummary, at now: Date) throws -> Bool
}

/// The hand-over's part: bundles cut and not yet delivered, and each attempt.
public protocol DeliveryStore: ClaimStore {
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
}

/// What operations read and keep: a job looked up or cancelled, the status, the
/// figures, the purge, and the counter a worker watches between rounds.
public protocol RecordStore: ScheduleStore, EventStore {
    func job(_ id: Int64) throws -> Job?
    /// The job that holds `document` of `account`, if one does.
    func job(account: String, document: String) throws -> Job?
    /// Jobs as `courrier letters` lists them, newest first.
    func jobs(_ query: JobQuery) throws -> [Job]

    /// Cancels a job that has not gone to print, refunding what it was charged.
    func cancel(job: Int64, at now: Date) throws -> CancelOutcome
    func status(failureLimit: Int) throws -> StatusReport

    /// The letters charged from `start` to before `end` (any time when nil),
    /// per bundle and account: charged, printed, posted, spoiled and
    /// printed again, returned, unanswered, and refunded; with the ledger's sums.
    func reconcile(chargedFrom start: Date?, before end: Date?) throws -> Reconciliation

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
}

/// Every letter's story, as events read by cursor: `courrier letter`,
/// `courrier events` and the webhook read it.
public protocol EventStore: AnyObject {
    /// Up to `limit` events after the id `cursor`, oldest first; of one
    /// account, or one job, when given.
    func events(after cursor: Int64, account: String?, job: Int64?, limit: Int) throws -> [LetterEvent]

    /// The id of the newest event, 0 when there is none: where a reader of
    /// new events only starts.
    func latestEventID() throws -> Int64
}

/// The product's webhook: how far each endpoint has been sent the events.
/// One worker at a time sends to an endpoint, holding its claim.
public protocol WebhookStore: EventStore {
    /// Takes `endpoint` for `worker` for `lease` seconds, unless another
    /// live worker holds it or its retry time has not come. An endpoint seen
    /// for the first time starts with the events from `since` on.
    func claimWebhook(endpoint: String, worker: String, lease: TimeInterval, since: Date, at now: Date) throws -> WebhookCursor?

    /// The receiver acknowledged every event through `event`: the next one
    /// is sent next, and the claim is extended. False when `worker` no longer holds it.
    func recordWebhookSent(endpoint: String, through event: Int64, worker: String, lease: TimeInterval, at now: Date) throws -> Bool

    /// The event at the head failed: counted, with its reason, not tried
    /// again for `wait` seconds; the claim is given back.
    func recordWebhookFailure(endpoint: String, worker: String, reason: String, retryAfter wait: TimeInterval, at now: Date) throws

    /// Gives up the `count` events at the head, through `event`, which waited for as long as they may: the next one is sent.
    func abandonWebhookEvents(endpoint: String, through event: Int64, count: Int, worker: String, at now: Date) throws -> Bool

    func releaseWebhook(endpoint: String, worker: String) throws

    /// Each endpoint's progress and trouble, for the status and the metrics.
    func webhookStates() throws -> [WebhookState]
}

/// What the print shop says after the hand-over.
public protocol AnswerStore: EventStore {
    /// Bundles delivered whose `ACK` has not been seen, oldest first.
    func unacknowledgedBundles() throws -> [String]

    /// Records the print shop's acknowledgement of `batch` with its file's
    /// content, and an `acknowledged` event for each letter; false when it was recorded before.
    func recordAcknowledged(batch: String, content: String, at now: Date) throws -> Bool

    /// Applies a response file's answers in one transaction, each line
    /// once; nil when this file (by name and SHA-256) was taken before.
    /// `refused`: the lines the file's reading refused already, to count.
    /// A spoiled letter is printed again in the next cut, uncharged, at most
    /// `reprints` times; spoiled once more, it fails, refunded.
    func applyAnswers(_ answers: [PrintShopAnswer], file: String, sha256: String, refused: Int, reprints: Int,
                      at now: Date) throws -> AnswersOutcome?
}

/// Addresses letters came back from, held for their account.
public protocol AddressHoldStore: AnyObject {
    /// The hold on `address` (`PostalAddress.holdKey`) for `account`, if one is in force.
    func addressHold(account: String, address: String) throws -> AddressHold?
    /// The holds in force for `account`, oldest first.
    func addressHolds(account: String) throws -> [AddressHold]
    /// Lifts the hold the returned letter `job` put on its address; false when there is none.
    func releaseAddressHold(account: String, job: Int64, at now: Date) throws -> Bool
}
