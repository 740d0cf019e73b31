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
