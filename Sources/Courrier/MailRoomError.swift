/// A failure of a whole command: what kind of failure it is, what it is
/// about (a setting's name, a file, a job), and the one line a person reads.
///
/// A letter's own failure is never one of these: that is the letter's
/// `FailureCode`, and the batch goes on.
public struct MailRoomError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// A setting or option has a value Courrier cannot use.
        case setting
        /// The configuration file cannot be read, or a line of it is wrong.
        case configurationFile = "configuration_file"
        /// The tariff file cannot be read, or is not a tariff.
        case tariff
        /// The document named on the command line cannot be read or is wrong.
        case document
        /// A request refused before anything changed: a wallet credit's amount, reference or account.
        case refused
        /// The job named is not in the store.
        case notFound = "not_found"
        /// A file Courrier writes (an output, the metrics) could not be written or removed.
        case file
        /// A child Courrier, or this machine, could not do its part.
        case machine
        /// A bundle could not be written, or drawn again as it was cut.
        case bundle
    }

    public var code: Code
    /// What the error is about, as the message names it: a setting's name
    /// (`--poll`, `COURRIER_POLL in FILE`), a path, a job; nil when the
    /// message says it all.
    public var subject: String?
    public var message: String

    public init(_ code: Code, subject: String? = nil, _ message: String) {
        self.code = code
        self.subject = subject
        self.message = message
    }

    public var description: String { message }

    /// A setting whose value is not one Courrier takes, quoting at most 40
    /// characters of it (it may be a line someone pasted) and what it takes.
    static func setting(_ name: String, is value: String, expected: String) -> MailRoomError {
        setting(name, is: value, "expected \(expected)")
    }

    /// A setting whose value Courrier cannot use, and why.
    static func setting(_ name: String, is value: String, _ problem: String) -> MailRoomError {
        let shown = value.count > 40 ? "\(value.prefix(40))…" : value
        return MailRoomError(.setting, subject: name, "\(name) is \"\(shown)\", \(problem)")
    }
}
