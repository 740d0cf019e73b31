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
