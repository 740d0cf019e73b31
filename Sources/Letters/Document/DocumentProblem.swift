/// One thing wrong with a document, named by its field path.
public struct DocumentProblem: Sendable, Equatable, CustomStringConvertible {
    /// The dotted path of the field, `lines[0].unit_price`; empty for the whole document.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? message : "\(field) \(message)"
    }
}

/// Why a document cannot be mailed: every problem found, not just the first.
public struct DocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [DocumentProblem]

    public init(_ problems: [DocumentProblem]) {
        precondition(!problems.isEmpty, "a DocumentError names at least one problem")
        self.problems = problems
    }

    public init(field: String, _ message: String) {
        self.init([DocumentProblem(field: field, message: message)])
    }

    public var description: String {
        problems.map(\.description).joined(separator: "; ")
    }
}
