/// One thing wrong with a document, named by its field path.
public struct DocumentProblem: Sendable, Equatable, CustomStringConvertible {
    /// The dotted path of the field, `lines[0].unit_price`; empty for the whole document.
    public var field: String
    public var message: String

    /// The message may quote what the document holds: its control
    /// characters are escaped, so that the reason stays one printable line.
    public init(field: String, message: String) {
        self.field = Self.bounded(ControlCharacters.escaped(field), 200)
        self.message = Self.bounded(ControlCharacters.escaped(message), 1000)
    }

    /// A value of the document as a reason quotes it: in quotes, and cut to
    /// a length a person reads, saying how long it was.
    public static func quoted(_ value: String) -> String {
        let limit = 40
        guard value.count > limit else { return "\"\(value)\"" }
        return "\"\(value.prefix(limit))…\" (\(value.count) characters)"
    }

    private static func bounded(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
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

    /// The problems, the first ten of them when there are more.
    public var description: String {
        let shown = problems.prefix(10).map(\.description).joined(separator: "; ")
        return problems.count > 10 ? shown + "; and \(problems.count - 10) more problems" : shown
    }
}
