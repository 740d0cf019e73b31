import Foundation
import Letters
import Rendering

/// Writes a print bundle: one PDF per print stream, the manifest in JSON and
/// CSV, and SHA256SUMS.
///
/// The bundle is built in a hidden folder beside its final place and renamed
/// into place when complete and synced, so the outbox only ever holds whole
/// bundles. Letters are drawn as they come: the writer holds one letter at a
/// time and the manifest's entries, never the batch's documents.
public struct BundleWriter {
    public var outbox: URL
    public var renderer: LetterRenderer
    public var marks: MarkScheme
    public var foldedEnvelope: Envelope
    /// Names the partial folder this writer builds in, `.<batch>.<token>.partial`:
    /// two processes finishing one cut never write into the same folder.
    public var claimToken = "local"
    /// Asked once the bundle is whole and synced, before it is renamed into
    /// place: throwing publishes nothing (the cut was taken over).
    public var beforePublishing: () throws -> Void = {}

    public init(outbox: URL, renderer: LetterRenderer, marks: MarkScheme = .none, foldedEnvelope: Envelope = .c56) {
        self.outbox = outbox
        self.renderer = renderer
        self.marks = marks
        self.foldedEnvelope = foldedEnvelope
    }

    /// What a cut wrote. The letters' full entries are in the folder's
    /// manifest (`Manifest.read(bundle:)`); `letters` says which jobs it holds.
    public struct Result {
        public var folder: URL
        public var batch: String
        public var totals: Manifest.Totals
        public var streams: [Manifest.Stream]
        public var letters: [Receipt]
    }

    /// Thrown by a caller's letters function to stop a cut half way: nothing
    /// is renamed into place, and the cut stays open for the next attempt.
    public struct Interrupted: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "the cut was interrupted" }
    }

    /// A bundle that would not print what was charged: it is not published,
    /// and its cut stays open.
    public struct PageCountMismatch: Error, CustomStringConvertible {
        public var description: String
    }

    /// A letter in a written bundle.
    public struct Receipt: Sendable, Equatable {
        public var job: Int64
        public var account: String
        public var document: String
        public var sequence: Int
        public var stream: String
    }

    /// The PDF of a stream: `letters.pdf` when the bundle has one stream,
    /// `letters-<stream>.pdf` when it has several.
    public static func fileName(of stream: PrintStream, streams: Int) -> String {
        streams == 1 ? "letters.pdf" : "letters-\(stream.name).pdf"
    }

    /// Writes bundle `batch`: `streams` in order, each with the letters that
    /// `letters` hands, in print order, to the function it is given.
    ///
    /// Letters are asked for one stream at a time and drawn as they are
    /// handed over: a caller fetches them from the store a page at a time.
    /// `warn` hears of a letter whose page count differs from what it was
    /// charged for.
    public func write(batch: String, createdAt: String, streams: [PrintStream],
                      letters: (PrintStream, _ add: (BundleLetter) throws -> Void) throws -> Void,
                      warn: @escaping (BundleLetter, Int) -> Void = { _, _ in }) throws -> Result {
        let fileManager = FileManager.default
        // Names, addresses and amounts: for this user (and no one else) whatever the umask.
        try fileManager.createDirectory(at: outbox, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let final = outbox.appendingPathComponent(batch, isDirectory: true)
        let partial = outbox.appendingPathComponent(".\(batch).\(claimToken).partial", isDirectory: true)
        // What earlier holders of this cut left; they lost it, or they are gone.
        for name in (try? fileManager.contentsOfDirectory(atPath: outbox.path)) ?? []
        where name.hasPrefix(".\(batch).") && name.hasSuffix(".partial") {
            try? fileManager.removeItem(at: outbox.appendingPathComponent(name))
        }
        try fileManager.createDirectory(at: partial, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])

        let manifest = try ManifestWriter(folder: partial)
        var receipts: [Receipt] = []
        var streamTotals: [Manifest.Stream] = []
        for stream in streams.sorted() {
            let file = Self.fileName(of: stream, streams: streams.count)
            let canvas = try PDFCanvas(path: partial.appendingPathComponent(file).path,
                                       metadata: PDFMetadata(title: "Courrier bundle \(batch) \(stream.name)", date: createdAt))
            var totals = Manifest.Stream(stream: stream, file: file)
            try letters(stream) { letter in
                precondition(letter.placement.stream == stream, "letters come stream by stream")
                let sequence = receipts.count + 1
                let firstPage = canvas.pageCount + 1
                let sheetsBefore = totals.sheets
                let pages = try renderer.draw(letter.document, terms: letter.terms, logo: letter.logo,
                                              marks: marks.isEmpty ? nil : { page, pages in
                    self.sheetMarks(page: page, pages: pages, stream: stream, sheetsBefore: sheetsBefore,
                                    batch: batch, sequence: sequence)
                }, on: canvas)
                // A letter charged for N pages is printed on N pages, or not at all.
                if pages != letter.chargedPages {
                    warn(letter, pages)
                    throw PageCountMismatch(description: "job \(letter.job) (\(letter.document.account)/\(letter.document.id)) draws \(pages) pages but was charged for \(letter.chargedPages); bundle \(batch) is not published")
                }
                // In duplex, a letter with an odd page count gets a blank back, so
                // that the next letter starts on a sheet of its own.
                if stream.duplex && pages % 2 == 1 {
                    canvas.showPage()
                    totals.blankPages += 1
                }
                let sheets = stream.sheets(pages: pages)
                let recipient = letter.document.recipient
                try manifest.add(Manifest.Letter(
                    sequence: sequence, job: letter.job, account: letter.document.account,
                    document: letter.document.id, stream: stream.name, file: file, firstPage: firstPage, pages: pages,
                    sheets: sheets, priceCents: letter.priceCents, color: stream.color, duplex: stream.duplex,
                    envelope: stream.envelope.rawValue, window: letter.document.envelopeWindow.rawValue,
                    country: recipient.country, postalCode: recipient.postalCode,
                    recipient: recipient.windowLines(language: letter.document.language)))
                receipts.append(Receipt(job: letter.job, account: letter.document.account, document: letter.document.id,
                                        sequence: sequence, stream: stream.name))
                totals.letters += 1
                totals.pages += pages
                totals.sheets += sheets
                totals.amountCents += letter.priceCents
            }
            try canvas.finish()
            // Poppler, another reader than the one that wrote it, is the judge of what will print.
            let printed = try PDFDocument(path: partial.appendingPathComponent(file).path).pageCount
            guard printed == totals.pages + totals.blankPages else {
                throw PageCountMismatch(description: "\(file) of bundle \(batch) has \(printed) pages, its manifest \(totals.pages) and \(totals.blankPages) blank; the bundle is not published")
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: partial.appendingPathComponent(file).path)
            try DurableFile.sync(partial.appendingPathComponent(file))
            streamTotals.append(totals)
        }

        let totals = Manifest.totals(of: streamTotals)
        try manifest.finish(batch: batch, createdAt: createdAt, streams: streamTotals, marks: Manifest.Marks(marks),
                            totals: totals)

        var sums = ""
        for name in streamTotals.map(\.file) + [Manifest.csvFile, Manifest.jsonFile] {
            sums += "\(try DurableFile.sha256(of: partial.appendingPathComponent(name)))  \(name)\n"
        }
        try DurableFile.write(Data(sums.utf8), to: partial.appendingPathComponent("SHA256SUMS"))
        try DurableFile.sync(partial)
        try beforePublishing()

        // A bundle already in place is one whose cut crashed after the rename and
        // before the store heard of it: the new one is drawn from the same
        // letters, and replaces it whole.
        if fileManager.fileExists(atPath: final.path) {
            let stale = outbox.appendingPathComponent(".\(batch).\(claimToken).stale", isDirectory: true)
            try? fileManager.removeItem(at: stale)
            try DurableFile.rename(final, to: stale)
            try DurableFile.rename(partial, to: final)
            try fileManager.removeItem(at: stale)
        } else {
            try DurableFile.rename(partial, to: final)
        }
        try DurableFile.sync(outbox)
        return Result(folder: final, batch: batch, totals: totals, streams: streamTotals, letters: receipts)
    }

    /// The marks of page `page` (from 0) of a letter of `pages` pages: on
    /// front sides only. `sheetsBefore` counts the stream's sheets before it.
    private func sheetMarks(page: Int, pages: Int, stream: PrintStream, sheetsBefore: Int,
                            batch: String, sequence: Int) -> SheetMarks? {
        if stream.duplex && page % 2 == 1 { return nil }
        let sheet = stream.duplex ? page / 2 + 1 : page + 1
        let sheets = stream.sheets(pages: pages)
        return SheetMarks(
            omr: marks.omr ? OMRCode(sheetInStream: sheetsBefore + sheet, isLastOfLetter: sheet == sheets) : nil,
            dataMatrix: marks.dataMatrix ? SheetIdentity(batch: batch, sequence: sequence, sheet: sheet, sheets: sheets) : nil)
    }
}
