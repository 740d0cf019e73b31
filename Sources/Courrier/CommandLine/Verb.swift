import Foundation
import Letters
import Storage
import Rendering

/// What a verb printed, and the failure to report when it did not fully succeed.
struct VerbResult {
    var text: String
    var failure: String?
    /// Written for a program (CSV), as JSON is: printed as it is, its CR LF
    /// kept. Only for text Courrier made, never a customer's.
    var isData = false
}

/// A verb's words and options as given, read against its declaration: a
/// usage error quotes the declared arguments, never a copy of them.
struct VerbCall {
    let verb: CommandTable.Verb
    /// The words after the verb's name.
    let words: [String]
    let options: [String: String]
    let flags: Set<String>

    init(_ verb: CommandTable.Verb, _ arguments: Arguments) {
        self.verb = verb
        words = Array(arguments.positional.dropFirst())
        options = arguments.options
        flags = arguments.flags
    }

    /// `usage: courrier VERB ARGUMENTS --REQUIRED VALUE`, of one alternative when the verb has several.
    func usage(_ alternative: String? = nil) -> Arguments.UsageError {
        let required = verb.options.filter(\.required).map { " --\($0.name) \($0.value)" }.joined()
        let arguments = alternative ?? verb.arguments
        return Arguments.UsageError(description: "usage: courrier \(verb.name)\(arguments.isEmpty ? "" : " \(arguments)")\(required)")
    }

    /// Exactly the words the declared arguments name (`FILE...`: one or more).
    func expectWords() throws(Arguments.UsageError) -> [String] {
        let declared = verb.arguments.split(separator: " ")
        let fits = declared.last?.hasSuffix("...") == true ? words.count >= declared.count : words.count == declared.count
        guard fits else { throw usage() }
        return words
    }

    /// The words of the alternative that the first word names, such as `credit ACCOUNT AMOUNT` of `wallet`.
    func expectAlternative() throws(Arguments.UsageError) -> (name: String, words: [String]) {
        let alternatives = verb.arguments.components(separatedBy: " | ")
        guard let first = words.first, let alternative = alternatives.first(where: { $0.hasPrefix(first + " ") }) else {
            throw words.isEmpty ? usage() : refusal("\"\(words[0])\" is not one of "
                + alternatives.compactMap { $0.split(separator: " ").first }.joined(separator: ", "))
        }
        guard words.count == alternative.split(separator: " ").count else { throw usage(alternative) }
        return (first, Array(words.dropFirst()))
    }

    /// A declared option that this call must give.
    func required(_ name: String) throws(Arguments.UsageError) -> String {
        guard let value = options[name], !value.isEmpty else { throw usage() }
        return value
    }

    /// A usage error that names the verb: `cancel: JOB is a job number, got "x"`.
    func refusal(_ message: String) -> Arguments.UsageError {
        Arguments.UsageError(description: "\(verb.name): \(message)")
    }
}

/// What a verb does once its words are checked, and what it needs opened for it.
enum VerbAction {
    /// Printed as it is: the help, the version, the completion script.
    case text(String)
    /// The settings in force, and no store: `config`, `render`, `proof`.
    case configuration(@Sendable (CourrierCommand.Settings, Configuration, Output) throws -> VerbResult)
    /// A mail room on the store. `readOnly`: the verb only looks, and a
    /// mistyped path is an error rather than a new, empty store. `progress`:
    /// a person at a terminal sees a progress line.
    case mailRoom(readOnly: Bool, progress: Bool, @Sendable (MailRoom, Output) throws -> VerbResult)

    static func mailRoom(readOnly: Bool = false, _ body: @escaping @Sendable (MailRoom, Output) throws -> VerbResult) -> VerbAction {
        .mailRoom(readOnly: readOnly, progress: false, body)
    }
}

/// What `courrier account window ACCOUNT WINDOW` asks for.
enum WindowChange: Sendable {
    case to(EnvelopeWindow)
    /// `default`: the right window, unless a document says otherwise.
    case backToDefault
}

/// The verbs that draw a document without a store.
enum DocumentDrawing {
    static func intake(_ configuration: Configuration) throws -> Intake {
        Intake(configuration, tariff: try configuration.loadTariff())
    }

    /// Renders a document to a file as it would be mailed.
    static func render(file: String, to path: String, intake: Intake, output: Output) throws -> VerbResult {
        let (_, letter, pages) = try Quoting.render(file: URL(fileURLWithPath: file), intake: intake)
        do {
            try Data(letter.pdf).write(to: URL(fileURLWithPath: path))
        } catch {
            throw MailRoomError(.file, subject: path, "cannot write \(path): \(error.localizedDescription)")
        }
        return output.render(path: path, pages: pages)
    }

    /// Draws a page of a document as a PNG, as the app shows it before the customer sends.
    static func proof(file: String, to path: String, page: Int, dpi: Double, intake: Intake, output: Output) throws -> VerbResult {
        let (_, letter, pages) = try Quoting.render(file: URL(fileURLWithPath: file), intake: intake)
        let pdf = try PDFDocument(bytes: letter.pdf, name: file)
        do {
            try PageProof.write(pdf, page: page - 1, dpi: dpi, to: path)
        } catch {
            throw MailRoomError(.file, subject: path, "\(file): \(error.message)")
        }
        return output.proof(path: path, page: page, pages: pages)
    }
}
