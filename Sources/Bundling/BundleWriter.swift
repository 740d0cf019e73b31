import Foundation
import Letters
import Rendering

/// Writes a print bundle: the letters drawn into one PDF, the manifest in JSON
/// and CSV, and SHA256SUMS.
///
/// The bundle is built in a hidden folder beside its final place and renamed
/// into place when complete and synced, so the outbox only ever holds whole
/// bundles.
public struct BundleWriter {
    public var outbox: URL
    public var renderer: LetterRenderer

    public init(outbox: URL, renderer: LetterRenderer) {
        self.outbox = outbox
        self.renderer = renderer
    }

    public struct Result {
        public var folder: URL
        public var manifest: Manifest
    }

    public static let lettersFile = "letters.pdf"

    /// Writes bundle `batch` of `letters`, in the order given.
    ///
    /// `letters` is read once, as the PDF is written: a caller may produce each
    /// letter as it is asked for. `warn` hears of a letter whose page count
    /// differs from what it was charged for.
    public func write(batch: String, createdAt: String, letters: some Sequence<BundleLetter>,
                      warn: (BundleLetter, Int) -> Void = { _, _ in }) throws -> Result {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: outbox, withIntermediateDirectories: true)
        let final = outbox.appendingPathComponent(batch, isDirectory: true)
        let partial = outbox.appendingPathComponent(".\(batch).partial", isDirectory: true)
        try? fileManager.removeItem(at: partial)
        try fileManager.createDirectory(at: partial, withIntermediateDirectories: false)

        let pdfPath = partial.appendingPathComponent(Self.lettersFile).path
        let canvas = try PDFCanvas(path: pdfPath, metadata: PDFMetadata(title: "Courrier bundle \(batch)", date: createdAt))
        var entries: [Manifest.Letter] = []
        var totals = Manifest.Totals(letters: 0, pages: 0, blankPages: 0, sheets: 0, amountCents: 0)
        for letter in letters {
            let firstPage = canvas.pageCount + 1
            let pages = try renderer.draw(letter.document, terms: letter.terms, logo: letter.logo, on: canvas)
            if pages != letter.chargedPages { warn(letter, pages) }
            let duplex = letter.document.print.duplex
            // In duplex, a letter with an odd page count gets a blank back, so
            // that the next letter starts on a sheet of its own.
            if duplex && pages % 2 == 1 {
                canvas.showPage()
                totals.blankPages += 1
            }
            let sheets = duplex ? (pages + 1) / 2 : pages
            let recipient = letter.document.recipient
            entries.append(Manifest.Letter(
                sequence: entries.count + 1, job: letter.job, account: letter.document.account,
                document: letter.document.id, file: Self.lettersFile, firstPage: firstPage, pages: pages,
                sheets: sheets, priceCents: letter.priceCents, color: letter.document.print.color, duplex: duplex,
                country: recipient.country, postalCode: recipient.postalCode,
                recipient: recipient.windowLines(language: letter.document.language)))
            totals.letters += 1
            totals.pages += pages
            totals.sheets += sheets
            totals.amountCents += letter.priceCents
        }
        try canvas.finish()

        let manifest = Manifest(format: Manifest.format, batch: batch, createdAt: createdAt, totals: totals, letters: entries)
        try DurableFile.write(try Manifest.encoder().encode(manifest) + Data("\n".utf8),
                              to: partial.appendingPathComponent("manifest.json"))
        try DurableFile.write(Data(manifest.csv().utf8), to: partial.appendingPathComponent("manifest.csv"))
        try DurableFile.sync(partial.appendingPathComponent(Self.lettersFile))

        var sums = ""
        for name in [Self.lettersFile, "manifest.csv", "manifest.json"] {
            sums += "\(try DurableFile.sha256(of: partial.appendingPathComponent(name)))  \(name)\n"
        }
        try DurableFile.write(Data(sums.utf8), to: partial.appendingPathComponent("SHA256SUMS"))
        try DurableFile.sync(partial)

        // A bundle already in place is one whose cut crashed after the rename and
        // before the store heard of it: the new one is drawn from the same
        // letters, and replaces it whole.
        if fileManager.fileExists(atPath: final.path) {
            let stale = outbox.appendingPathComponent(".\(batch).stale", isDirectory: true)
            try? fileManager.removeItem(at: stale)
            try DurableFile.rename(final, to: stale)
            try DurableFile.rename(partial, to: final)
            try fileManager.removeItem(at: stale)
        } else {
            try DurableFile.rename(partial, to: final)
        }
        try DurableFile.sync(outbox)
        return Result(folder: final, manifest: manifest)
    }
}
