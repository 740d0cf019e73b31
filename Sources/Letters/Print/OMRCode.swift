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
