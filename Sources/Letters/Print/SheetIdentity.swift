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
