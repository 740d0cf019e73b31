import Foundation
import Letters
import Storage
import Bundling

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
    /// Whether `run` and `cut` draw a progress line: when standard error is a terminal.
    public var showsProgress: Bool

    public init(arguments: [String], environment: [String: String],
                standardOutput: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
                standardError: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
                showsProgress: Bool = isatty(STDERR_FILENO) != 0) {
        self.arguments = arguments
        self.environment = environment
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.showsProgress = showsProgress
    }

    /// This build's version, and the versions of what it reads and writes:
    /// what an operator checks before pointing it at a store or a print shop.
    public static let version = "0.8.0"

    static var versionText: String {
        "courrier \(version) (store schema \(SQLiteStore.schemaVersion) on SQLite, \(PostgresStore.schemaVersion) on PostgreSQL; \(Document.format), "
            + "\(Tariff.format), \(Manifest.format))\n"
    }

    /// The usage, made from the command table.
    public static var usage: String { CommandTable.usage }

    /// The settings in force and where each came from: the configuration
    /// file (`--config` or `COURRIER_CONFIG`), then the environment, then the
    /// options, each overriding the one before.
    struct Settings {
        var values: [String: String] = [:]
        /// `file PATH`, `environment` or `--OPTION`.
        var sources: [String: String] = [:]

        init(_ parsed: Arguments, environment: [String: String]) throws {
            if let file = parsed.options["config"] ?? environment["COURRIER_CONFIG"], !file.isEmpty {
                for (key, value) in try ConfigFile.read(file) {
                    values[key] = value
                    sources[key] = "file \(file)"
                }
            }
            for (key, _) in Configuration.settingKeys {
                if let value = environment[key], !value.isEmpty {
                    values[key] = value
                    sources[key] = "environment"
                }
            }
            for (key, option) in Configuration.settingKeys {
                if let option, let value = parsed.options[option] {
                    values[key] = value
                    sources[key] = "--\(option)"
                }
            }
        }

        /// The configuration they make; an error names the setting as it was
        /// given: an option by its name, a file's key with the file.
        func configuration() throws -> Configuration {
            try Configuration.fromEnvironment(values) { key in
                guard let source = sources[key] else { return key }
                if source.hasPrefix("--") { return source }
                if source.hasPrefix("file ") { return "\(key) in \(source.dropFirst(5))" }
                return key
            }
        }
    }

    /// Runs the command; returns the process exit status.
    public func run() -> Int32 {
        // Courrier run again to read one customer's file in isolation.
        if arguments.first == UntrustedChild.verb {
            return UntrustedChild.main(Array(arguments.dropFirst()))
        }
        // Courrier run again to prepare, alone, a letter that was in hand when a process died.
        if arguments.first == IsolatedPreparation.verb {
            return IsolatedPreparation.main(environment: environment)
        }
        // Courrier run again to draw one part of a cut beside others.
        if arguments.first == PartProcess.verb {
            return PartProcess.main(Array(arguments.dropFirst()), environment: environment)
        }
        let parsed: Arguments
        do {
            parsed = try Arguments(arguments)
        } catch {
            standardError("courrier: \(error.description)\n\(Self.usage)")
            return 2
        }
        // `courrier --version` and `courrier --help` name no verb; `courrier` alone is a mistake.
        guard let name = parsed.positional.first ?? (parsed.flags.contains("version") ? "version" : nil) else {
            standardOutput(Self.usage)
            return parsed.flags.contains("help") ? 0 : 2
        }
        guard let verb = CommandTable.verb(name) else {
            standardError("courrier: unknown verb \"\(ControlCharacters.escaped(name))\"; see courrier --help\n")
            return 2
        }
        // An option belongs to the verbs it matters to; another refuses it.
        let allowed = CommandTable.options(of: verb).union(["version"])
        if let stray = (Array(parsed.options.keys) + Array(parsed.flags)).sorted().first(where: { !allowed.contains($0) }) {
            standardError("courrier: --\(stray) does not apply to \(verb.name); see courrier \(verb.name) --help\n")
            return 2
        }
        let action: VerbAction
        do {
            // `courrier VERB --help` is `courrier help VERB`; `courrier help --help` the help of help.
            action = parsed.flags.contains("help") ? .text(CommandTable.help(verb))
                : parsed.flags.contains("version") ? .text(Self.versionText)
                : try verb.parse(VerbCall(verb, parsed))
        } catch {
            standardError("courrier: \(ControlCharacters.escaped(error.description))\n")
            return 2
        }
        if case .text(let text) = action {
            standardOutput(text)
            return 0
        }
        let settings: Settings
        let configuration: Configuration
        do {
            settings = try Settings(parsed, environment: environment)
            configuration = try settings.configuration()
        } catch {
            standardError("courrier: \(error)\n")
            return 2
        }
        let output = Output(json: parsed.flags.contains("json"), stream: standardOutput)
        do {
            let result: VerbResult
            switch action {
            case .text(let text):
                result = VerbResult(text: text)
            case .configuration(let body):
                result = try body(settings, configuration, output)
            case .mailRoom(let readOnly, let showsProgress, let body):
                let errorOutput = standardError
                // A progress line for a person at a terminal; logs are then written above it.
                let progress = self.showsProgress && showsProgress ? TerminalProgress(write: errorOutput) : nil
                let log = EventLog(minimumLevel: configuration.logLevel, format: configuration.logFormat,
                                   worker: configuration.workerID) { line in
                    if let progress { progress.log(line) } else { errorOutput(line) }
                }
                let mailRoom = try MailRoom.open(configuration, log: log, readOnly: readOnly)
                defer { mailRoom.close() }
                mailRoom.progress = progress
                result = try body(mailRoom, output)
            }
            // What customers typed reaches a terminal as text, never as control sequences.
            standardOutput(output.json || result.isData ? result.text : ControlCharacters.escaped(result.text, keeping: ["\n"]))
            if let failure = result.failure {
                standardError("courrier: \(ControlCharacters.escaped(failure))\n")
                return 1
            }
            return 0
        } catch let error as Arguments.UsageError {
            standardError("courrier: \(ControlCharacters.escaped(error.description))\n")
            return 2
        } catch {
            let line = String(describing: error).replacingOccurrences(of: "\n", with: " ")
            standardError("courrier: \(ControlCharacters.escaped(line))\n")
            return 1
        }
    }
}
