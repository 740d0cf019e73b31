/// One thing wrong with a document, named by its field path.
public struct DocumentProblem: Sendable, Equatable, CustomStringConvertible {
    /// The dotted path of the field, `lines[0].unit_price`; empty for the whole document.
    public var field: String
    public var message: String

    /// The message may quote what the document holds: its control
    /// characters are escaped, so that the reason stays one printable line.
    public init(field: String, message: String) {
        self.field = ControlCharacters.escaped(field)
        self.message = ControlCharacters.escaped(message)
    }

    public var description: String {
        field.isEmpty ? message : "\(field) \(message)"
    }
}

/// Why a document cannot be mailed: every problem found, not just the first.
public struct DocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [DocumentProblem]

    public init(_ problems: [DocumentProblem]) {
        self.problems = problems.isEmpty
            ? [DocumentProblem(field: "", message: "is not a document Courrier can mail")] : problems
    }

    public init(field: String, _ message: String) {
        self.init([DocumentProblem(field: field, message: message)])
    }

    public var description: String {
        problems.map(\.description).joined(separator: "; ")
    }
}
