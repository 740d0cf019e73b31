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
          run                                 prepare what is queued, then cut a bundle
          render FILE -o OUT.pdf              render a document as it would be mailed
          quote FILE                          pages, price, balance and balance after
          cancel JOB                          cancel a letter not yet bundled (refunded)
          wallet credit ACCOUNT AMOUNT --reference REF
          wallet balance ACCOUNT
          wallet history ACCOUNT
          status                              jobs per state, failures, bundles

        Options (each also from the environment):
          --database PATH     SQLite store (COURRIER_DATABASE, default var/courrier.sqlite)
          --outbox DIR        where bundles are cut (COURRIER_OUTBOX, default var/outbox)
          --tariff FILE       courrier.tariff/1 prices (COURRIER_TARIFF, default: built-in)
          --json              answer in JSON, for programs
          --log-level LEVEL   debug, info, warning or error (COURRIER_LOG_LEVEL, default info)

        """

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
        var configuration = Configuration.fromEnvironment(environment)
        if let value = parsed.options["database"] { configuration.database = value }
        if let value = parsed.options["outbox"] { configuration.outbox = value }
        if let value = parsed.options["tariff"] { configuration.tariffPath = value }
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
            if case .render(let file, let path) = verb {
                result = try Verb.render(file: file, to: path, output: output)
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
