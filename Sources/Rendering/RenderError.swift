import Letters

/// Why a letter could not be drawn, with what a person needs to fix it.
public struct RenderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The failure codes are the store's own list (`FailureCode`).
    public typealias Code = FailureCode

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
