import Foundation
import Bundling
import Letters
import Rendering
import Storage

/// The letters of one part of a cut, read from the store a page at a time in
/// print order, each with its terms and logo opened once for the part.
///
/// Made on the thread that draws the part, with a store connection of its
/// own when parts are drawn at once.
final class CutLetters: PartLetters {
    private let store: CutStore
    /// The connection this part opened for itself, closed when it is done.
    private let owned: LetterStore?
    private let batch: String
    private let stream: PrintStream
    private var position: PrintPosition?
    private var left: Int
    private var page: [BatchLetter] = []
    private let attachments: AttachmentCache
    private let defaults: AccountDefaults
    private let shouldStop: @Sendable () -> Bool
    private let advance: @Sendable () -> Void

    /// Letters are read from the store this many at a time: a part holds one
    /// page of documents, never the batch.
    static let pageSize = 64

    /// The `count` letters of `stream` in `batch` after `position` (from the
    /// first when nil). `owned`: a connection of the part's own, closed when done.
    init(store: CutStore, owned: LetterStore? = nil, batch: String, stream: PrintStream, after position: PrintPosition?, count: Int,
         intake: Intake, termsBudget: Int, shouldStop: @escaping @Sendable () -> Bool, advance: @escaping @Sendable () -> Void) {
        self.store = store
        self.owned = owned
        self.batch = batch
        self.stream = stream
        self.position = position
        left = count
        attachments = AttachmentCache(store: store, intake: intake, termsBudget: termsBudget)
        defaults = AccountDefaults(store: store)
        self.shouldStop = shouldStop
        self.advance = advance
    }

    func next() throws -> BundleLetter? {
        guard left > 0 else { return nil }
        if page.isEmpty {
            if shouldStop() { throw BundleWriter.Interrupted() }
            page = try store.letters(in: batch, stream: stream.name, after: position, limit: min(Self.pageSize, left)).reversed()
            guard !page.isEmpty else { return nil }
        }
        guard let stored = page.popLast() else { return nil }
        position = stored.position
        left -= 1
        defer { advance() }
        return try letter(stored)
    }

    func close() {
        owned?.close()
    }

    /// A stored letter, ready to draw: its document, terms and logo, and where
    /// it goes. What is wrong with the letter itself is its failure; the
    /// store's errors stay the cut's.
    private func letter(_ stored: BatchLetter) throws -> BundleLetter {
        let document: Document, terms: LetterTerms?, logo: LetterLogo?
        do {
            document = try defaults.apply(to: Document.stored(stored.letter, json: stored.document))
            terms = try attachments.terms(for: document.terms, attachmentHash: stored.job.termsHash)
            logo = try attachments.logo(for: document.sender.logo, attachmentHash: stored.job.logoHash)
        } catch let error as DocumentError {
            throw BundleWriter.LetterFailure(job: stored.job.id, code: FailureCode.invalidDocument, reason: error.description)
        } catch let error as RenderError {
            throw BundleWriter.LetterFailure(job: stored.job.id, code: error.code, reason: error.message)
        }
        let pages = stored.job.pages ?? 0
        let placement = PrintPlacement(stream: stream, sheets: stored.job.sheets ?? stream.sheets(pages: pages),
                                       sortKey: stored.position.sortKey)
        // A reprint was paid for with its first printing: it is not charged again.
        return BundleLetter(job: stored.job.id, document: document, terms: terms, logo: logo, placement: placement,
                            chargedPages: pages, priceCents: stored.reprintOf == nil ? stored.job.priceCents ?? 0 : 0,
                            reprintOf: stored.reprintOf)
    }
}
