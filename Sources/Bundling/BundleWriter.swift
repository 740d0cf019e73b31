import Foundation
import Letters
import Rendering

/// Writes a print bundle: the PDFs of its print streams (a stream of more
/// sheets than a file should hold is cut into parts), the manifest in JSON
/// and CSV, and SHA256SUMS.
///
/// The parts are drawn at once, each on a thread of its own with its own
/// renderer and its own source of letters, into its own file. The bundle is
/// built in a hidden folder beside its final place and renamed into place
/// when complete, checked and synced, so the outbox only ever holds whole
/// bundles. Letters are drawn as they come: a part holds one letter at a
/// time, and its manifest entries go to disk as they are made.
public struct BundleWriter {
    public var outbox: URL
    public var marks: MarkScheme
    public var foldedEnvelope: Envelope
    /// Names the partial folder this writer builds in, `.<batch>.<token>.partial`:
    /// two processes finishing one cut never write into the same folder.
    public var claimToken = "local"
    /// Asked once the bundle is whole and synced, before it is renamed into
    /// place, with its SHA256SUMS: throwing publishes nothing (the cut was
    /// taken over, or a bundle drawn again differs from the one cut).
    public var beforePublishing: (_ checksums: String) throws -> Void = { _ in }
    /// The most sheets in one PDF file: print shops' RIPs like files of a
    /// thousand sheets or so, and parts are what the cut draws in parallel.
    public var sheetsPerFile = 1000
    /// Parts drawn at once.
    public var threads = 1
    /// Draws a part elsewhere (in a process of its own) and gives what it
    /// wrote into the partial folder, instead of drawing it here from
    /// `letters`: parts drawn at once each need a process of their own,
    /// since Cairo 1.16 shares its scaled fonts between threads.
    public var drawPart: (@Sendable (BundlePart, PartDrawing) throws -> PartDrawing.Written)?

    public init(outbox: URL, marks: MarkScheme = .none, foldedEnvelope: Envelope = .c56) {
        self.outbox = outbox
        self.marks = marks
        self.foldedEnvelope = foldedEnvelope
    }

    /// What a cut wrote. The letters' full entries are in the folder's
    /// manifest (`Manifest.read(bundle:)`); `letters` says which jobs it holds.
    public struct Result {
        public var folder: URL
        public var batch: String
        public var totals: Manifest.Totals
        /// One entry a file: a stream, or a part of one.
        public var streams: [Manifest.Stream]
        public var letters: [Receipt]
        /// SHA256SUMS as written: what the store records, and what a bundle drawn again must match.
        public var checksums: String
    }

    /// Thrown by a source of letters to stop a cut half way: nothing is
    /// renamed into place, and the cut stays open for the next attempt.
    public struct Interrupted: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "the cut was interrupted" }
    }

    /// A bundle that would not print what was charged: it is not published,
    /// and its cut stays open.
    public struct PageCountMismatch: Error, CustomStringConvertible {
        public var description: String
    }

    /// A letter that cannot be drawn: its document, terms or logo no longer
    /// read, or it does not draw the pages it was charged for. It is the
    /// letter's failure, not the cut's.
    public struct LetterFailure: Error, Sendable, Equatable, Codable, CustomStringConvertible {
        public var job: Int64
        /// The failure's kind, as the store counts it (`qr_code`, `invalid_document`).
        public var code: FailureCode
        public var reason: String

        public init(job: Int64, code: FailureCode, reason: String) {
            self.job = job
            self.code = code
            self.reason = reason
        }

        public var description: String { "job \(job): \(reason)" }
    }

    /// Thrown once every part has been drawn when some letters could not be:
    /// nothing is published, and the caller takes those letters out of the
    /// cut and draws it again without them.
    public struct LettersFailed: Error, Sendable, Codable, CustomStringConvertible {
        public var failures: [LetterFailure]

        public init(_ failures: [LetterFailure]) {
            self.failures = failures
        }

        public var description: String {
            "\(failures.count) letter\(failures.count == 1 ? "" : "s") could not be drawn: "
                + failures.map(\.description).joined(separator: "; ")
        }
    }

    /// A letter in a written bundle.
    public struct Receipt: Sendable, Equatable, Codable {
        public var job: Int64
        public var account: String
        public var document: String
        public var sequence: Int
        public var stream: String
        /// The PDF it is printed from, and its first page there, from 1.
        public var file: String
        public var firstPage: Int
    }

    /// The PDF of a stream, or of part `number` of `parts` of one:
    /// `letters.pdf` when the bundle is one stream in one file,
    /// `letters-<stream>.pdf` for one of several streams, and `-<number>`
    /// before `.pdf` for a part, zero-padded so that the files list in order.
    public static func fileName(of stream: PrintStream, streams: Int, part number: Int = 1, of parts: Int = 1) -> String {
        let base = streams == 1 ? "letters" : "letters-\(stream.name)"
        guard parts > 1 else { return "\(base).pdf" }
        let digits = String(number), width = String(parts).count
        return "\(base)-\(String(repeating: "0", count: max(0, width - digits.count)))\(digits).pdf"
    }

    /// Splits each stream, given as the sheets of its letters in print order,
    /// into parts of at most `sheetsPerFile` sheets (a letter is never split),
    /// numbered in print order across the bundle.
    public func plan(_ streams: [(stream: PrintStream, sheets: [Int])]) -> [BundlePart] {
        var parts: [BundlePart] = []
        var sequence = 1
        let ordered = streams.filter { !$0.sheets.isEmpty }.sorted { $0.stream < $1.stream }
        for (stream, sheets) in ordered {
            var ranges: [Range<Int>] = []
            var start = 0, inPart = 0
            for (index, letterSheets) in sheets.enumerated() {
                if inPart > 0 && inPart + letterSheets > sheetsPerFile {
                    ranges.append(start..<index)
                    start = index
                    inPart = 0
                }
                inPart += letterSheets
            }
            ranges.append(start..<sheets.count)
            var sheetsBefore = 0
            for (offset, range) in ranges.enumerated() {
                parts.append(BundlePart(
                    index: parts.count, stream: stream, number: offset + 1, of: ranges.count, letters: range,
                    firstSequence: sequence, sheetsBefore: sheetsBefore,
                    file: Self.fileName(of: stream, streams: ordered.count, part: offset + 1, of: ranges.count)))
                sequence += range.count
                sheetsBefore += sheets[range].reduce(0, +)
            }
        }
        return parts
    }

    /// Writes bundle `batch`: `streams`, each given as the sheets of its
    /// letters in print order, cut into parts; `letters` opens the source of
    /// one part's letters, on the thread that draws it.
    public func write(batch: String, createdAt: String, streams: [(stream: PrintStream, sheets: [Int])],
                      letters: @escaping @Sendable (BundlePart) throws -> PartLetters) throws -> Result {
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

        let parts = plan(streams)
        let drawing = PartDrawing(batch: batch, createdAt: createdAt, folder: partial, marks: marks)
        // A lone part is drawn here: a process of its own would only cost its start.
        let drawPart = parts.count > 1 ? self.drawPart : nil
        let written = try PartQueue(parts: parts, threads: drawPart == nil ? 1 : threads).run { part in
            if let drawPart { return try drawPart(part, drawing) }
            let source = try letters(part)
            defer { source.close() }
            return try drawing.draw(part, from: source)
        }

        let files = written.map(\.totals)
        let totals = Manifest.totals(of: files)
        try ManifestWriter.assemble(folder: partial, parts: parts.count, batch: batch, createdAt: createdAt,
                                    streams: files, marks: Manifest.Marks(marks), totals: totals)
        var sums = ""
        for name in files.map(\.file) + [Manifest.csvFile, Manifest.jsonFile] {
            sums += "\(try DurableFile.sha256(of: partial.appendingPathComponent(name)))  \(name)\n"
        }
        try DurableFile.write(Data(sums.utf8), to: partial.appendingPathComponent("SHA256SUMS"))
        try DurableFile.sync(partial)
        try beforePublishing(sums)

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
        return Result(folder: final, batch: batch, totals: totals, streams: files, letters: written.flatMap(\.receipts),
                      checksums: sums)
    }
}
