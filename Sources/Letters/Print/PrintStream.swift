import Foundation

/// The envelope a letter goes out in: A4 folded twice into a window envelope
/// (C5/6 or DL), or flat in a C4 window envelope when it is too thick to fold.
public enum Envelope: String, Sendable, CaseIterable, Codable {
    case c56 = "C5/6"
    case dl = "DL"
    case c4 = "C4"

    public var isFlat: Bool { self == .c4 }

    /// Lower case and without the slash, for a file name: `c56`, `dl`, `c4`.
    public var slug: String { rawValue.lowercased().replacingOccurrences(of: "/", with: "") }
}

/// What a print shop's machines must be set up for to run a set of letters:
/// colour or black and white, one side or both, folded or flat. Each stream is
/// a PDF of its own in the bundle.
public struct PrintStream: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var color: Bool
    public var duplex: Bool
    public var envelope: Envelope

    public init(color: Bool, duplex: Bool, envelope: Envelope) {
        self.color = color
        self.duplex = duplex
        self.envelope = envelope
    }

    /// `color-simplex-c56`, `bw-duplex-c4`: the stream's name in the manifest
    /// and in its file name.
    public var name: String {
        "\(color ? "color" : "bw")-\(duplex ? "duplex" : "simplex")-\(envelope.slug)"
    }

    public var description: String { name }

    /// Reads a name written by `name`.
    public init?(name: String) {
        let parts = name.split(separator: "-").map(String.init)
        guard parts.count == 3, ["color", "bw"].contains(parts[0]), ["simplex", "duplex"].contains(parts[1]),
              let envelope = Envelope.allCases.first(where: { $0.slug == parts[2] }) else { return nil }
        self.init(color: parts[0] == "color", duplex: parts[1] == "duplex", envelope: envelope)
    }

    /// Streams run in a fixed order: folded before flat, then black and white
    /// before colour, simplex before duplex.
    public static func < (a: PrintStream, b: PrintStream) -> Bool {
        func rank(_ s: PrintStream) -> (Int, Int, Int, String) {
            (s.envelope.isFlat ? 1 : 0, s.color ? 1 : 0, s.duplex ? 1 : 0, s.envelope.rawValue)
        }
        return rank(a) < rank(b)
    }

    /// Sheets of paper for `pages` pages: every letter starts on a sheet of its
    /// own, and in duplex an odd page count leaves a blank back.
    public func sheets(pages: Int) -> Int {
        duplex ? (pages + 1) / 2 : pages
    }
}

/// Where a letter goes in a bundle, decided when it is priced: its stream,
/// its sheets, and its place in postal order.
public struct PrintPlacement: Sendable, Equatable {
    public var stream: PrintStream
    public var sheets: Int
    /// Sorts letters within a stream in postal order; see `PostalOrder`.
    public var sortKey: String

    public init(stream: PrintStream, sheets: Int, sortKey: String) {
        self.stream = stream
        self.sheets = sheets
        self.sortKey = sortKey
    }
}

/// How the print shop folds and inserts: the envelope folded letters go in,
/// and the most sheets it holds. Thicker letters go flat in a C4 envelope.
public struct InsertingPolicy: Sendable, Equatable {
    public var foldedEnvelope: Envelope
    public var maximumFoldedSheets: Int

    public static let standard = InsertingPolicy(foldedEnvelope: .c56, maximumFoldedSheets: 5)

    public init(foldedEnvelope: Envelope, maximumFoldedSheets: Int) {
        precondition(!foldedEnvelope.isFlat && maximumFoldedSheets >= 1)
        self.foldedEnvelope = foldedEnvelope
        self.maximumFoldedSheets = maximumFoldedSheets
    }

    /// Where a letter of `pages` pages goes.
    public func placement(for document: Document, pages: Int) -> PrintPlacement {
        let folded = PrintStream(color: document.print.color, duplex: document.print.duplex, envelope: foldedEnvelope)
        let sheets = folded.sheets(pages: pages)
        var stream = folded
        if sheets > maximumFoldedSheets { stream.envelope = .c4 }
        return PrintPlacement(stream: stream, sheets: sheets, sortKey: PostalOrder.key(for: document.recipient))
    }
}

/// The order bpost's sorting centres take letters in: Belgium first, by
/// postcode, then abroad by country and postcode; the recipient's name
/// breaks ties so that the order is the same every time.
public enum PostalOrder {
    public static func key(for address: PostalAddress) -> String {
        let name = address.name.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        let postcode = address.postalCode.uppercased().filter { !$0.isWhitespace }
        // Shorter postcodes sort before longer ones of the same country, as numbers do.
        let padded = String(repeating: "0", count: max(0, 10 - postcode.count)) + postcode
        let place = address.country == "BE" ? "0 BE" : "1 \(address.country)"
        return "\(place) \(padded) \(name)"
    }
}
