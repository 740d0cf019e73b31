import Foundation
import Letters
import Storage

/// `courrier VERB ...`: reads the command line, runs the verb on a mail room
/// built from the configuration, and says what happened.
///
/// Human-readable answers go to standard output, or JSON with `--json`; the
/// event log goes to standard error; a failure ends with one line
/// `courrier: REASON` on standard error and a non-zero status.
public struct CourrierCommand {
    public var arguments: [String]
    public var environment: [String: String]
    public var standardOutput: @Sendable (String) -> Void
    public var standardError: @Sendable (String) -> Void

    public init(arguments: [String], environment: [String: String],
                standardOutput: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
                standardError: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.arguments = arguments
        self.environment = environment
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    public static let usage = """
        Usage: courrier VERB [ARGUMENTS] [OPTIONS]

          enqueue FILE...                     queue documents (courrier.document/1 JSON)
          run                                 prepare what is queued, cut a bundle, deliver it
          deliver [--now]                     hand over the bundles not yet delivered
                                              (--now: also those waiting to retry)
          render FILE -o OUT.pdf              render a document as it would be mailed
          proof FILE -o PAGE.png [--page N] [--dpi N]
                                              a page as a PNG, as the customer sees it (page 1, 150 dpi)
          quote FILE                          pages, price, balance and balance after
          cancel JOB                          cancel a letter not yet bundled (refunded)
          wallet credit ACCOUNT AMOUNT --reference REF
          wallet balance ACCOUNT
          wallet history ACCOUNT
          account window ACCOUNT [right|left|default]
                                              the envelope window of the account's letters
                                              (a document's print.window wins)
          status                              jobs per state, failures, bundles

        Options (each also from the environment):
          --database PATH     SQLite store (COURRIER_DATABASE, default var/courrier.sqlite)
          --outbox DIR        where bundles are cut (COURRIER_OUTBOX, default var/outbox)
          --tariff FILE       courrier.tariff/1 prices (COURRIER_TARIFF, default: built-in)
          --deliver URL       where bundles go: sftp://USER@HOST[:PORT]/PATH or file:///PATH
                              (COURRIER_DELIVER; default: none, they stay in the outbox)
          --ssh-key FILE      private key for SFTP, ed25519 or RSA, mode 600 (COURRIER_SSH_KEY)
          --known-hosts FILE  the server's host key; nothing else is trusted (COURRIER_KNOWN_HOSTS)
          --ssh-passphrase-file FILE
                              the key's passphrase (COURRIER_SSH_PASSPHRASE_FILE,
                              or the passphrase itself in COURRIER_SSH_PASSPHRASE)
          --trigger NAME      file written last into a delivered bundle (COURRIER_TRIGGER, default READY)
          --delivery-retry SECONDS
                              wait after a failed delivery, doubled each time up to an hour
                              (COURRIER_DELIVERY_RETRY, default 60)
          --envelope C5/6|DL  the window envelope letters are folded into (COURRIER_ENVELOPE, default C5/6)
          --folded-sheets N   the most sheets a folded envelope holds; thicker letters go flat
                              in C4 (COURRIER_FOLDED_SHEETS, default 5)
          --marks SCHEME      inserter marks: none, omr, datamatrix or omr+datamatrix
                              (COURRIER_MARKS, default none)
          --json              answer in JSON, for programs
          --log-level LEVEL   debug, info, warning or error (COURRIER_LOG_LEVEL, default info)

        """

    /// The environment's configuration, overridden by the options given.
    static func configuration(_ parsed: Arguments, environment: [String: String]) throws -> Configuration {
        var configuration = try Configuration.fromEnvironment(environment)
        let options = parsed.options
        if let value = options["database"] { configuration.database = value }
        if let value = options["outbox"] { configuration.outbox = value }
        if let value = options["tariff"] { configuration.tariffPath = value }
        if let value = options["deliver"] { configuration.deliverURL = value }
        if let value = options["ssh-key"] { configuration.sshKey = value }
        if let value = options["known-hosts"] { configuration.knownHosts = value }
        if let value = options["ssh-passphrase-file"] { configuration.passphraseFile = value }
        if let value = options["trigger"] { configuration.trigger = value }
        if let value = options["delivery-retry"] {
            configuration.deliveryRetry = try Configuration.parseSeconds(value, name: "--delivery-retry")
        }
        try configuration.setPrintShop(envelope: options["envelope"], foldedSheets: options["folded-sheets"],
                                       marks: options["marks"], names: ("--envelope", "--folded-sheets", "--marks"))
        return configuration
    }

    /// Runs the command; returns the process exit status.
    public func run() -> Int32 {
        let parsed: Arguments
        do {
            parsed = try Arguments(arguments)
        } catch {
            standardError("courrier: \(error.description)\n\(Self.usage)")
            return 2
        }
        if parsed.flags.contains("help") || parsed.positional.isEmpty {
            standardOutput(Self.usage)
            return parsed.positional.isEmpty && !parsed.flags.contains("help") ? 2 : 0
        }
        let configuration: Configuration
        do {
            configuration = try Self.configuration(parsed, environment: environment)
        } catch {
            standardError("courrier: \(error)\n")
            return 2
        }
        let levelName = parsed.options["log-level"] ?? environment["COURRIER_LOG_LEVEL"] ?? "info"
        guard let level = EventLog.Level(rawValue: levelName) else {
            standardError("courrier: --log-level is \"\(levelName)\", expected debug, info, warning or error\n")
            return 2
        }
        let errorOutput = standardError
        let log = EventLog(minimumLevel: level) { errorOutput($0) }
        do {
            let verb = try Verb(parsed)
            let output = Output(json: parsed.flags.contains("json"))
            let result: VerbResult
            if let answer = try verb.runWithoutStore(output: output) {
                result = answer
            } else {
                let mailRoom = try MailRoom.open(configuration, log: log)
                defer { mailRoom.close() }
                result = try verb.run(on: mailRoom, output: output)
            }
            standardOutput(result.text)
            if let failure = result.failure {
                standardError("courrier: \(failure)\n")
                return 1
            }
            return 0
        } catch let error as Arguments.UsageError {
            standardError("courrier: \(error.description)\n")
            return 2
        } catch {
            standardError("courrier: \(String(describing: error).replacingOccurrences(of: "\n", with: " "))\n")
            return 1
        }
    }
}
