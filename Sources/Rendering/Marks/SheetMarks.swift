import Letters

/// The inserter marks of one sheet, printed on its front side.
public struct SheetMarks: Sendable, Equatable {
    public var omr: OMRCode?
    public var dataMatrix: SheetIdentity?

    public init(omr: OMRCode?, dataMatrix: SheetIdentity?) {
        self.omr = omr
        self.dataMatrix = dataMatrix
    }
}
