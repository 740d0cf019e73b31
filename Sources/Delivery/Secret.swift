/// A passphrase: kept out of every description, so that printing a
/// configuration or an error can never show it.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "********" }
    public var debugDescription: String { "Secret(********)" }
}
