/// The marks an inserting machine reads on each sheet to know where an
/// envelope starts and ends; chosen per print shop.
public struct MarkScheme: Sendable, Equatable, CustomStringConvertible {
    /// OMR: bars in the left margin of each front side.
    public var omr: Bool
    /// A small DataMatrix code on each front side: batch, sequence, sheet i of n.
    public var dataMatrix: Bool

    public static let none = MarkScheme(omr: false, dataMatrix: false)

    public init(omr: Bool, dataMatrix: Bool) {
        self.omr = omr
        self.dataMatrix = dataMatrix
    }

    /// `none`, `omr`, `datamatrix` or `omr+datamatrix`.
    public init?(_ text: String) {
        let parts = Set(text.lowercased().split(separator: "+").map(String.init))
        guard !parts.isEmpty, parts.isSubset(of: ["none", "omr", "datamatrix"]), !(parts.contains("none") && parts.count > 1) else {
            return nil
        }
        self.init(omr: parts.contains("omr"), dataMatrix: parts.contains("datamatrix"))
    }

    public var isEmpty: Bool { !omr && !dataMatrix }

    public var description: String {
        isEmpty ? "none" : [omr ? "omr" : nil, dataMatrix ? "datamatrix" : nil].compactMap { $0 }.joined(separator: "+")
    }
}

/// The OMR code on one sheet: one bar per track that is on, read top to bottom.
///
/// - `benchmark`: on every marked sheet; the reader times the others from it.
/// - `endOfSet`: on the last sheet of a letter: insert what has been collected.
/// - `sequence1`, `sequence2`, `sequence4`: the sheet's number in its stream,
///   modulo 8 (wrapping around), so that a missing or doubled sheet shows.
/// - `parity`: set when needed to make the number of bars even.
public struct OMRCode: Sendable, Equatable {
    public enum Track: String, Sendable, CaseIterable {
        case benchmark, endOfSet = "end_of_set", sequence1 = "sequence_1", sequence2 = "sequence_2",
             sequence4 = "sequence_4", parity
    }

    /// The tracks that carry a bar, in `Track.allCases` order.
    public var bars: [Track]

    /// The code of the sheet numbered `sheetInStream` (from 1) in its stream.
    public init(sheetInStream: Int, isLastOfLetter: Bool) {
        let sequence = sheetInStream % 8
        var bars: [Track] = [.benchmark]
        if isLastOfLetter { bars.append(.endOfSet) }
        if sequence & 1 != 0 { bars.append(.sequence1) }
        if sequence & 2 != 0 { bars.append(.sequence2) }
        if sequence & 4 != 0 { bars.append(.sequence4) }
        if bars.count % 2 == 1 { bars.append(.parity) }
        self.bars = bars
    }

    /// Whether each track, in order, carries a bar.
    public var pattern: [Bool] { Track.allCases.map(bars.contains) }
}

/// What a sheet's DataMatrix code says: `BATCH|SEQUENCE|SHEET/SHEETS`.
public struct SheetIdentity: Sendable, Equatable, CustomStringConvertible {
    public var batch: String
    /// The letter's place in the bundle's print order, from 1.
    public var sequence: Int
    public var sheet: Int
    public var sheets: Int

    public init(batch: String, sequence: Int, sheet: Int, sheets: Int) {
        self.batch = batch
        self.sequence = sequence
        self.sheet = sheet
        self.sheets = sheets
    }

    public var description: String { "\(batch)|\(sequence)|\(sheet)/\(sheets)" }
}
