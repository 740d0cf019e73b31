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
