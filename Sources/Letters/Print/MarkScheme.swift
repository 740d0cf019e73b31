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
