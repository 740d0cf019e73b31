import Foundation
import Letters
import Rendering

/// Draws one part of a stream into its PDF file, with its manifest entries
/// written beside it as they are made; then reads the file back with Poppler.
///
/// Each call makes its own renderer: parts are drawn on several threads.
public struct PartDrawing: Sendable {
    public let batch: String
    public let createdAt: String
    /// The bundle's partial folder, where the part's file and manifest go.
    public let folder: URL
    public let marks: MarkScheme

    /// Draws parts of bundle `batch` into `folder`, its partial folder.
    public init(batch: String, createdAt: String, folder: URL, marks: MarkScheme) {
        self.batch = batch
        self.createdAt = createdAt
        self.folder = folder
        self.marks = marks
    }

    /// What a part wrote: its file's totals and its letters.
    public struct Written: Sendable, Codable {
        public var totals: Manifest.Stream
        public var receipts: [BundleWriter.Receipt]
    }

    public func draw(_ part: BundlePart, from letters: PartLetters) throws -> Written {
        let stream = part.stream
        // Twice the budget of preparation: a letter it took is not failed here by a hair.
        let renderer = LetterRenderer(layoutBudget: 2 * LetterRenderer.layoutBudget)
        let canvas = try PDFCanvas(path: folder.appendingPathComponent(part.file).path,
                                   metadata: PDFMetadata(title: "Courrier bundle \(batch) \(part.file)", date: createdAt))
        let manifest = try ManifestWriter(folder: folder, part: part.index)
        var totals = Manifest.Stream(stream: stream, file: part.file)
        if part.of > 1 {
            totals.part = part.number
            totals.parts = part.of
        }
        var receipts: [BundleWriter.Receipt] = []
        // Letters that cannot be drawn are the letters' failures: the part goes
        // on to find them all, and is drawn again without them.
        var failures: [BundleWriter.LetterFailure] = []
        var sheetsBefore = part.sheetsBefore
        while true {
            let letter: BundleLetter
            do {
                guard let next = try letters.next() else { break }
                letter = next
            } catch let failure as BundleWriter.LetterFailure {
                failures.append(failure)
                continue
            }
            guard letter.placement.stream == stream else {
                throw BundleWriter.PageCountMismatch(description: "job \(letter.job) belongs to stream \(letter.placement.stream.name), not \(stream.name); bundle \(batch) is not published")
            }
            let sequence = part.firstSequence + receipts.count
            let firstPage = canvas.pageCount + 1
            let before = sheetsBefore
            let pages: Int
            do {
                pages = try renderer.draw(letter.document, terms: letter.terms, logo: letter.logo,
                                          marks: marks.isEmpty ? nil : { page, pages in
                    Self.sheetMarks(page: page, pages: pages, stream: stream, sheetsBefore: before, batch: batch,
                                    sequence: sequence, scheme: marks)
                }, on: canvas)
            } catch {
                failures.append(BundleWriter.LetterFailure(job: letter.job, code: error.code, reason: error.message))
                continue
            }
            // A letter charged for N pages is printed on N pages, or not at all.
            guard pages == letter.chargedPages else {
                failures.append(BundleWriter.LetterFailure(job: letter.job, code: .pageCountChanged,
                    reason: "draws \(pages) pages but was charged for \(letter.chargedPages); refunded, send it again to print it as it draws now"))
                continue
            }
            // In duplex, a letter with an odd page count gets a blank back, so
            // that the next letter starts on a sheet of its own.
            if stream.duplex && pages % 2 == 1 {
                canvas.showPage()
                totals.blankPages += 1
            }
            let sheets = stream.sheets(pages: pages)
            sheetsBefore += sheets
            let recipient = letter.document.recipient
            try manifest.add(Manifest.Letter(
                sequence: sequence, job: letter.job, account: letter.document.account,
                document: letter.document.id, stream: stream.name, file: part.file, firstPage: firstPage, pages: pages,
                sheets: sheets, priceCents: letter.priceCents, color: stream.color, duplex: stream.duplex,
                envelope: stream.envelope.rawValue, window: letter.document.envelopeWindow.rawValue,
                country: recipient.country, postalCode: recipient.postalCode,
                recipient: recipient.windowLines(language: letter.document.language), reprintOf: letter.reprintOf))
            receipts.append(BundleWriter.Receipt(job: letter.job, account: letter.document.account, document: letter.document.id,
                                                 sequence: sequence, stream: stream.name, file: part.file,
                                                 firstPage: firstPage))
            totals.letters += 1
            totals.pages += pages
            totals.sheets += sheets
            totals.amountCents += letter.priceCents
        }
        guard failures.isEmpty else { throw BundleWriter.LettersFailed(failures) }
        guard receipts.count == part.letters.count else {
            throw BundleWriter.PageCountMismatch(description: "\(part.file) of bundle \(batch) was to hold \(part.letters.count) letters and holds \(receipts.count); the bundle is not published")
        }
        try canvas.finish()
        try manifest.finish()
        let file = folder.appendingPathComponent(part.file)
        // Poppler, another reader than the one that wrote it, is the judge of what will print.
        let printed = try PDFDocument(path: file.path).pageCount
        guard printed == totals.pages + totals.blankPages else {
            throw BundleWriter.PageCountMismatch(description: "\(part.file) of bundle \(batch) has \(printed) pages, its manifest \(totals.pages) and \(totals.blankPages) blank; the bundle is not published")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        try DurableFile.sync(file)
        return Written(totals: totals, receipts: receipts)
    }

    /// The marks of page `page` (from 0) of a letter of `pages` pages: on
    /// front sides only. `sheetsBefore` counts the stream's sheets before it.
    static func sheetMarks(page: Int, pages: Int, stream: PrintStream, sheetsBefore: Int,
                           batch: String, sequence: Int, scheme: MarkScheme) -> SheetMarks? {
        if stream.duplex && page % 2 == 1 { return nil }
        let sheet = stream.duplex ? page / 2 + 1 : page + 1
        let sheets = stream.sheets(pages: pages)
        return SheetMarks(
            omr: scheme.omr ? OMRCode(sheetInStream: sheetsBefore + sheet, isLastOfLetter: sheet == sheets) : nil,
            dataMatrix: scheme.dataMatrix ? SheetIdentity(batch: batch, sequence: sequence, sheet: sheet, sheets: sheets) : nil)
    }
}
