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

    public static let usage = """
        Usage: courrier VERB [ARGUMENTS] [OPTIONS]

          enqueue FILE...                     queue documents (courrier.document/1 JSON)
          run                                 prepare what is queued, cut a bundle, deliver it
          worker                              prepare letters as they arrive, cut on the schedule,
                                              deliver after each cut; until SIGTERM or SIGINT
          cut                                 cut a bundle of what is prepared now, and deliver it
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
          status                              jobs per state, failures, bundles, deliveries
          config                              the settings in force and where each comes from
          version (or --version)              this build, its store schema and its formats
          completion bash                     a bash completion script (deploy/install-service installs it)
          purge [--older-than 90d]            forget the documents, attachments and bundle folders of
                                              letters delivered, failed or cancelled that long ago
                                              (COURRIER_RETENTION)

        Options (each also from the environment, or from the file --config FILE / COURRIER_CONFIG;
        options override the environment, which overrides the file). Durations are a number and its
        unit, 90s, 15m, 2h or 90d, everywhere; a bare number is refused:
          --database PATH|URL an SQLite file, or postgres://USER@HOST:PORT/DATABASE with the password in
                              PGPASSFILE (COURRIER_DATABASE, default var/courrier.sqlite)
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
          --delivery-retry DURATION
                              wait after a failed delivery, doubled each time up to an hour
                              (COURRIER_DELIVERY_RETRY, default 60s)
          --envelope C5/6|DL  the window envelope letters are folded into (COURRIER_ENVELOPE, default C5/6)
          --folded-sheets N   the most sheets a folded envelope holds; thicker letters go flat
                              in C4 (COURRIER_FOLDED_SHEETS, default 5)
          --marks SCHEME      inserter marks: none, omr, datamatrix or omr+datamatrix
                              (COURRIER_MARKS, default none)
          --poll DURATION     worker: how often it looks at the queue (COURRIER_POLL, default 5s)
          --cut-at TIMES      worker: cut at these times (COURRIER_CUT_AT, default 10:00,16:00)
          --cut-days DAYS     on these days (COURRIER_CUT_DAYS, default mon-fri)
          --time-zone ZONE    in this time zone (COURRIER_TIME_ZONE, default Europe/Brussels)
          --cut-every DURATION
                              or cut every 15m, 30m, 2h… instead (COURRIER_CUT_EVERY)
          --grace DURATION    after SIGTERM, how long a cut may go on (COURRIER_GRACE, default 30s)
          --metrics FILE      write Prometheus metrics there (COURRIER_METRICS)
          --json              answer in JSON, for programs
          --log-level LEVEL   debug, info, warning or error (COURRIER_LOG_LEVEL, default info)
          --log-format FORMAT json, one object a line, or text for a person (COURRIER_LOG_FORMAT, default json)
          --worker-id ID      names this process in claims and logs (COURRIER_WORKER_ID, default HOST:PID)
          --threads N         letters prepared, and parts of a cut drawn, at once; each thread has
                              its own store connection (COURRIER_THREADS, default: one per core)
          --file-sheets N     the most sheets in one PDF of a bundle; a longer stream is cut into
                              parts (COURRIER_FILE_SHEETS, default 1000)
          --open-timeout DURATION
                              the longest a customer's terms PDF or logo may take to read, in a child
                              process of its own (COURRIER_OPEN_TIMEOUT, default 10s)
          --open-memory SIZE  the memory that child may use (COURRIER_OPEN_MEMORY, default 1024M)

        """

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
            do {
                return try Configuration.fromEnvironment(values)
            } catch let error as MailRoomError {
                var message = error.message
                for (key, source) in sources where message.contains(key) {
                    if source.hasPrefix("--") {
                        message = message.replacingOccurrences(of: key, with: source)
                    } else if source.hasPrefix("file ") {
                        message += " (\(source.dropFirst(5)))"
                    }
                }
                throw MailRoomError(message)
            }
        }
    }

    /// Runs the command; returns the process exit status.
    public func run() -> Int32 {
        // Courrier run again to read one customer's file in isolation.
        if arguments.first == UntrustedChild.verb {
            return UntrustedChild.main(Array(arguments.dropFirst()))
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
        if parsed.flags.contains("version") || parsed.positional == ["version"] {
            standardOutput(Self.versionText)
            return 0
        }
        if parsed.positional.first == "completion" {
            guard parsed.positional == ["completion", "bash"] else {
                standardError("courrier: usage: courrier completion bash (bash is the shell it knows)\n")
                return 2
            }
            standardOutput(BashCompletion.script)
            return 0
        }
        if parsed.flags.contains("help") || parsed.positional.isEmpty {
            standardOutput(Self.usage)
            return parsed.positional.isEmpty && !parsed.flags.contains("help") ? 2 : 0
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
        let errorOutput = standardError
        // A progress line for a person at a terminal; logs are then written above it.
        let progress = showsProgress ? TerminalProgress(write: errorOutput) : nil
        let log = EventLog(minimumLevel: configuration.logLevel, format: configuration.logFormat,
                           worker: configuration.workerID) { line in
            if let progress { progress.log(line) } else { errorOutput(line) }
        }
        do {
            let verb = try Verb(parsed)
            let output = Output(json: parsed.flags.contains("json"))
            let result: VerbResult
            if case .config = verb {
                try configuration.validate()
                result = output.config(settings, configuration)
            } else if let answer = try verb.runWithoutStore(output: output, configuration: configuration) {
                result = answer
            } else {
                let mailRoom = try MailRoom.open(configuration, log: log, readOnly: verb.onlyReads)
                defer { mailRoom.close() }
                if case .run = verb { mailRoom.progress = progress }
                if case .cut = verb { mailRoom.progress = progress }
                result = try verb.run(on: mailRoom, output: output)
            }
            // What customers typed reaches a terminal as text, never as control sequences.
            standardOutput(output.json ? result.text : ControlCharacters.escaped(result.text, keeping: ["\n"]))
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
