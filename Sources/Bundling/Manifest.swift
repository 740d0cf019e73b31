import Foundation
import Letters
import Rendering

/// `manifest.json`, `courrier.manifest/1`: what a print shop needs to run the
/// bundle without opening it.
public struct Manifest: Codable, Sendable, Equatable {
    public static let format = "courrier.manifest/1"

    public struct Totals: Codable, Sendable, Equatable {
        public var letters: Int
        /// Pages of the letters, as charged.
        public var pages: Int
        /// Blank backs added so that each duplex letter starts on a new sheet.
        public var blankPages: Int
        public var sheets: Int
        public var amountCents: Int64
    }

    /// One print stream: a PDF the print shop runs with one set-up of its
    /// printer and inserter, and what it holds.
    public struct Stream: Codable, Sendable, Equatable {
        public var name: String
        public var file: String
        public var color: Bool
        public var duplex: Bool
        /// `C5/6` or `DL` (folded in three), or `C4` (flat).
        public var envelope: String
        /// Letters are envelopes: one each.
        public var letters = 0
        public var pages = 0
        public var blankPages = 0
        public var sheets = 0
        public var amountCents: Int64 = 0
        /// Part `part` of `parts`, when the stream is cut into several files;
        /// absent when it is one.
        public var part: Int?
        public var parts: Int?

        init(stream: PrintStream, file: String) {
            name = stream.name
            self.file = file
            color = stream.color
            duplex = stream.duplex
            envelope = stream.envelope.rawValue
        }
    }

    /// The inserter marks printed on each front side, and where.
    public struct Marks: Codable, Sendable, Equatable {
        /// `none`, `omr`, `datamatrix` or `omr+datamatrix`.
        public var scheme: String
        public var omr: OMR?
        public var datamatrix: DataMatrix?

        public struct OMR: Codable, Sendable, Equatable {
            public var side = "front"
            public var xMm = MarkLayout.millimetres(MarkLayout.omrX)
            public var lengthMm = MarkLayout.millimetres(MarkLayout.omrLength)
            public var thicknessMm = MarkLayout.millimetres(MarkLayout.omrThickness)
            /// The centre of the first track's bar, from the top of the page.
            public var firstTrackYMm = MarkLayout.millimetres(MarkLayout.omrFirstY)
            public var pitchMm = MarkLayout.millimetres(MarkLayout.omrPitch)
            /// Top to bottom. `sequence_*` is the sheet's number in its stream
            /// modulo 8; `parity` makes the number of bars even.
            public var tracks = OMRCode.Track.allCases.map(\.rawValue)
        }

        public struct DataMatrix: Codable, Sendable, Equatable {
            public var side = "front"
            public var xMm = MarkLayout.millimetres(MarkLayout.dataMatrixX)
            public var yMm = MarkLayout.millimetres(MarkLayout.dataMatrixY)
            public var moduleMm = MarkLayout.millimetres(MarkLayout.dataMatrixModule)
            public var content = "BATCH|SEQUENCE|SHEET/SHEETS"
        }

        init(_ scheme: MarkScheme) {
            self.scheme = scheme.description
            omr = scheme.omr ? OMR() : nil
            datamatrix = scheme.dataMatrix ? DataMatrix() : nil
        }
    }

    public struct Letter: Codable, Sendable, Equatable {
        /// Print order, from 1.
        public var sequence: Int
        public var job: Int64
        public var account: String
        public var document: String
        /// The stream's name, and its PDF.
        public var stream: String
        public var file: String
        /// The letter's first page in `file`, from 1.
        public var firstPage: Int
        public var pages: Int
        public var sheets: Int
        public var priceCents: Int64
        public var color: Bool
        public var duplex: Bool
        public var envelope: String
        /// The envelope window the address shows through: `right` or `left`.
        public var window: String
        public var country: String
        public var postalCode: String
        /// The address lines exactly as printed in the window.
        public var recipient: [String]
        /// The spoiled printing this letter replaces (its batch and sequence),
        /// when it is printed again; its price is then 0: it is not charged again.
        public var reprintOf: Reprint?

        var csvRow: [String] {
            [String(sequence), String(job), account, document, stream, file, String(firstPage), String(pages),
             String(sheets), String(priceCents), String(color), String(duplex), envelope, window, country, postalCode]
                + (0..<Manifest.maximumRecipientLines).map { $0 < recipient.count ? recipient[$0] : "" }
                + [reprintOf?.batch ?? "", reprintOf.map { String($0.sequence) } ?? ""]
        }
    }

    public var format: String
    public var batch: String
    public var createdAt: String
    public var totals: Totals
    public var streams: [Stream]
    public var marks: Marks
    public var letters: [Letter]

    /// The bundle's totals: its streams' added up.
    static func totals(of streams: [Stream]) -> Totals {
        Totals(letters: streams.reduce(0) { $0 + $1.letters }, pages: streams.reduce(0) { $0 + $1.pages },
               blankPages: streams.reduce(0) { $0 + $1.blankPages }, sheets: streams.reduce(0) { $0 + $1.sheets },
               amountCents: streams.reduce(0) { $0 + $1.amountCents })
    }

    /// Reads the manifest of the bundle in `folder`.
    public static func read(bundle folder: URL) throws -> Manifest {
        try decode(Data(contentsOf: folder.appendingPathComponent(jsonFile)))
    }

    /// Snake-case keys, sorted; `pretty` for a person, compact for files of
    /// thousands of letters.
    static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decode(_ data: Data) throws -> Manifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: data)
    }

    public static let jsonFile = "manifest.json"
    /// `manifest.csv`: the letters, one row each, under a header line, for the
    /// print shop's spreadsheet and mail-merge tools.
    public static let csvFile = "manifest.csv"

    static let maximumRecipientLines = PostalAddress.maximumDomesticLines + 1

    static var csvHeader: [String] {
        ["sequence", "job", "account", "document", "stream", "file", "first_page", "pages", "sheets",
         "price_cents", "color", "duplex", "envelope", "window", "country", "postal_code"]
            + (1...maximumRecipientLines).map { "recipient_line_\($0)" } + ["reprint_of_batch", "reprint_of_sequence"]
    }

    /// A CSV line, ended by CR LF.
    public static func csvLine(_ fields: [String]) -> String {
        fields.map(csvField).joined(separator: ",") + "\r\n"
    }

    /// RFC 4180: a field that holds a comma, a quote, a CR or a LF is quoted,
    /// its quotes doubled. A field that a spreadsheet would take for a formula
    /// (it starts with `=`, `+`, `-`, `@`, a tab or a CR) is written after a
    /// `'`, as OWASP's guidance on CSV injection advises.
    static func csvField(_ text: String) -> String {
        var field = text
        if let first = field.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) {
            field = "'" + field
        }
        // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return field
        }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
