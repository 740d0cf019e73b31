import Letters
import Delivery

/// The one table of the command line: every setting (its environment key,
/// its option, what it takes, what it does, and the verbs it matters to) and
/// every verb (its arguments, its options, an example). The parser, the
/// configuration file's keys, the usage, each verb's help, the completion
/// script and the names in errors are all made from it.
enum CommandTable {
    /// A setting, as the environment, the configuration file and an option give it.
    struct Setting: Sendable {
        var key: String
        /// The option, without `--`; nil when it may not be given on a command line.
        var option: String?
        /// What the option takes, as the help shows it.
        var value: String
        var help: String
        var group: Group
        /// Reads the value given (never empty) into a configuration; the
        /// third argument is how an error names the setting (`--poll`,
        /// `COURRIER_POLL in FILE`). The default is the configuration's own.
        var read: @Sendable (inout Configuration, String, String) throws -> Void
        /// The value in force as `courrier config` shows it and a child
        /// Courrier is handed it ("" when unset); nil leaves it out.
        var show: @Sendable (Configuration) -> String?
        /// Whether a child Courrier (a part of a cut, a letter prepared alone)
        /// works under it too. Secrets are never handed down, nor how the
        /// parent splits its work.
        var inherited = true
    }

    /// Which verbs a setting matters to.
    enum Group: CaseIterable {
        /// Every verb that reads the configuration.
        case common
        /// The print shop's envelopes and marks: what a letter's price and layout depend on.
        case printShop
        /// The cut: where bundles go and how they are split.
        case bundle
        /// The hand-over to the print shop.
        case delivery
        /// The product's webhook: every letter's events, posted.
        case webhook
        /// The worker's schedule and stop.
        case schedule
        /// Reading customers' files in isolation.
        case intake
        case metrics
        case retention
    }

    /// Reads a whole number in `range`; an error says what it is and the range.
    private static func wholeNumber(_ range: ClosedRange<Int>, _ what: String,
                                    _ set: @escaping @Sendable (inout Configuration, Int) -> Void)
        -> @Sendable (inout Configuration, String, String) throws -> Void {
        { configuration, value, name in
            guard let number = Int(value), range.contains(number) else {
                throw MailRoomError.setting(name, is: value, expected: "\(what), \(range.lowerBound) to \(range.upperBound)")
            }
            set(&configuration, number)
        }
    }

    /// The schedule's four settings are read together, by `CutSchedule.parse`.
    private static let readTogether: @Sendable (inout Configuration, String, String) throws -> Void = { _, _, _ in }

    static let settings: [Setting] = [
        Setting(key: "COURRIER_DATABASE", option: "database", value: "PATH|URL",
                help: "the store: an SQLite file (default var/courrier.sqlite) or postgres://USER@HOST:PORT/DATABASE, the password in PGPASSFILE",
                group: .common,
                read: { c, v, name in try Configuration.checkDatabase(v, name: name); c.database = v },
                show: { $0.database }),
        Setting(key: "COURRIER_TARIFF", option: "tariff", value: "FILE",
                help: "courrier.tariff/1 prices (default: built in)", group: .common,
                read: { c, v, _ in c.tariffPath = v },
                show: { $0.tariffPath ?? "(built in)" },
                inherited: false),
        Setting(key: "COURRIER_LOG_LEVEL", option: "log-level", value: "LEVEL",
                help: "debug, info, warning or error (default info)", group: .common,
                read: { c, v, name in
                    guard let level = EventLog.Level(rawValue: v) else {
                        throw MailRoomError.setting(name, is: v, expected: "debug, info, warning or error")
                    }
                    c.logLevel = level
                },
                show: { $0.logLevel.rawValue }),
        Setting(key: "COURRIER_LOG_FORMAT", option: "log-format", value: "FORMAT",
                help: "json, one object a line, or text for a person (default json)", group: .common,
                read: { c, v, name in
                    guard let format = EventLog.Format(rawValue: v) else {
                        throw MailRoomError.setting(name, is: v, expected: "json or text")
                    }
                    c.logFormat = format
                },
                show: { $0.logFormat.rawValue }),
        Setting(key: "COURRIER_WORKER_ID", option: "worker-id", value: "ID",
                help: "names this process in claims and logs (default HOST:PID)", group: .common,
                read: { c, v, _ in c.workerID = v },
                show: { $0.workerID }),
        Setting(key: "COURRIER_OUTBOX", option: "outbox", value: "DIR",
                help: "where bundles are cut (default var/outbox)", group: .bundle,
                read: { c, v, _ in c.outbox = v },
                show: { $0.outbox }),
        Setting(key: "COURRIER_ENVELOPE", option: "envelope", value: "C5/6|DL",
                help: "the window envelope letters are folded into (default C5/6)", group: .printShop,
                read: { c, v, name in
                    guard let chosen = Envelope(rawValue: v.uppercased()), !chosen.isFlat else {
                        throw MailRoomError.setting(name, is: v, expected: "C5/6 or DL: the window envelope letters are folded into")
                    }
                    c.inserting.foldedEnvelope = chosen
                },
                show: { $0.inserting.foldedEnvelope.rawValue }),
        Setting(key: "COURRIER_FOLDED_SHEETS", option: "folded-sheets", value: "N",
                help: "the most sheets a folded envelope holds; thicker letters go flat in C4 (default 5)", group: .printShop,
                read: wholeNumber(1...20, "the most sheets a folded envelope holds") { $0.inserting.maximumFoldedSheets = $1 },
                show: { String($0.inserting.maximumFoldedSheets) }),
        Setting(key: "COURRIER_MARKS", option: "marks", value: "SCHEME",
                help: "inserter marks: none, omr, datamatrix or omr+datamatrix (default none)", group: .printShop,
                read: { c, v, name in
                    guard let scheme = MarkScheme(v) else {
                        throw MailRoomError.setting(name, is: v, expected: "none, omr, datamatrix or omr+datamatrix")
                    }
                    c.marks = scheme
                },
                show: { $0.marks.description }),
        Setting(key: "COURRIER_THREADS", option: "threads", value: "N",
                help: "letters prepared, and parts of a cut drawn, at once (default: one per core)", group: .bundle,
                read: wholeNumber(1...64, "a number of threads") { $0.threads = $1 },
                show: { String($0.threads) },
                inherited: false),
        Setting(key: "COURRIER_FILE_SHEETS", option: "file-sheets", value: "N",
                help: "the most sheets in one PDF of a bundle; a longer stream is cut into parts (default 1000)",
                group: .bundle,
                read: wholeNumber(10...100_000, "the most sheets in one PDF file") { $0.sheetsPerFile = $1 },
                show: { String($0.sheetsPerFile) },
                inherited: false),
        Setting(key: "COURRIER_DELIVER", option: "deliver", value: "URL",
                help: "where bundles go: sftp://USER@HOST[:PORT]/PATH or file:///PATH (default: they stay in the outbox)",
                group: .delivery,
                read: { c, v, _ in c.deliverURL = v },
                show: { $0.deliverURL ?? "" }),
        Setting(key: "COURRIER_SSH_KEY", option: "ssh-key", value: "FILE",
                help: "private key for SFTP, ed25519 or RSA, mode 600", group: .delivery,
                read: { c, v, _ in c.sshKey = v },
                show: { $0.sshKey ?? "" }),
        Setting(key: "COURRIER_KNOWN_HOSTS", option: "known-hosts", value: "FILE",
                help: "the server's host key; nothing else is trusted", group: .delivery,
                read: { c, v, _ in c.knownHosts = v },
                show: { $0.knownHosts ?? "" }),
        Setting(key: "COURRIER_SSH_PASSPHRASE_FILE", option: "ssh-passphrase-file", value: "FILE",
                help: "the key's passphrase", group: .delivery,
                read: { c, v, _ in c.passphraseFile = v },
                show: { $0.passphraseFile ?? "" }),
        Setting(key: "COURRIER_SSH_PASSPHRASE", option: nil, value: "PASSPHRASE",
                help: "the passphrase itself: environment or file only, never a command line", group: .delivery,
                read: { c, v, _ in c.passphrase = Secret(v) },
                show: { $0.passphrase.map { "\($0)" } ?? "" },
                inherited: false),
        Setting(key: "COURRIER_TRIGGER", option: "trigger", value: "NAME",
                help: "file written last into a delivered bundle (default READY)", group: .delivery,
                read: { c, v, _ in c.trigger = v },
                show: { $0.trigger }),
        Setting(key: "COURRIER_DROP_MODE", option: "drop-mode", value: "MODE",
                help: "mode of the files a file:// drop writes, for the print shop's group (default 0640)", group: .delivery,
                read: { c, v, name in
                    guard let mode = DropMode.parse(v) else {
                        throw MailRoomError.setting(name, is: v, expected: "an octal file mode that the owner reads and writes "
                                                   + "and others cannot read, such as 0640 or 0660")
                    }
                    c.dropMode = mode
                },
                show: { $0.dropMode.description }),
        Setting(key: "COURRIER_DELIVERY_RETRY", option: "delivery-retry", value: "DURATION",
                help: "wait after a failed delivery, doubled each time up to an hour (default 60s)", group: .delivery,
                read: { c, v, name in c.deliveryRetry = try Duration.parse(v, name: name, minimum: 0) },
                show: { Duration.describe($0.deliveryRetry) }),
        Setting(key: "COURRIER_RESPONSES_EVERY", option: "responses-every", value: "DURATION",
                help: "how often the worker reads the print shop's ACK and response files, besides after each delivery (default 15m)",
                group: .schedule,
                read: { c, v, name in c.responsesEvery = try Duration.parse(v, name: name, minimum: 1) },
                show: { Duration.describe($0.responsesEvery) }),
        Setting(key: "COURRIER_REPRINTS", option: "reprints", value: "N",
                help: "how often a letter the print shop spoiled is printed again, uncharged, before it fails refunded (default 2)",
                group: .delivery,
                read: wholeNumber(0...10, "a number of reprints") { $0.reprints = $1 },
                show: { String($0.reprints) }),
        Setting(key: "COURRIER_HOLIDAYS", option: "holidays", value: "DATES",
                help: "public holidays when the print shop does not post, such as 2026-12-25,2027-01-01; weekends are never working days",
                group: .metrics,
                read: { c, v, name in
                    guard let days = WorkingDays.holidays(v) else {
                        throw MailRoomError.setting(name, is: v, expected: "dates such as 2026-12-25,2027-01-01")
                    }
                    c.holidays = days
                },
                show: { $0.holidays.sorted().joined(separator: ",") }),
        Setting(key: "COURRIER_WEBHOOK_URL", option: "webhook-url", value: "URL",
                help: "post every letter's events there, signed: https://, or http:// to this machine only", group: .webhook,
                read: { c, v, _ in c.webhookURL = v },
                show: { $0.webhookURL ?? "" }),
        Setting(key: "COURRIER_WEBHOOK_SECRET_FILE", option: "webhook-secret-file", value: "FILE",
                help: "the secret the events are signed with (HMAC-SHA256), mode 600", group: .webhook,
                read: { c, v, _ in c.webhookSecretFile = v },
                show: { $0.webhookSecretFile ?? "" }),
        Setting(key: "COURRIER_WEBHOOK_GIVE_UP", option: "webhook-give-up", value: "DURATION",
                help: "how long an event is tried again before it is abandoned (default 1d)", group: .webhook,
                read: { c, v, name in c.webhookGiveUp = try Duration.parse(v, name: name, minimum: 1) },
                show: { Duration.describe($0.webhookGiveUp) }),
        Setting(key: "COURRIER_STORE_RETRY", option: "store-retry", value: "DURATION",
                help: "how long a store transaction is tried again when the database is busy or away (default 60s)",
                group: .schedule,
                read: { c, v, name in c.storeRetry = try Duration.parse(v, name: name, minimum: 0) },
                show: { Duration.describe($0.storeRetry) }),
        Setting(key: "COURRIER_POLL", option: "poll", value: "DURATION",
                help: "the longest the worker waits between rounds (default 5s)", group: .schedule,
                read: { c, v, name in c.pollInterval = try Duration.parse(v, name: name) },
                show: { Duration.describe($0.pollInterval) }),
        Setting(key: "COURRIER_CUT_AT", option: "cut-at", value: "TIMES",
                help: "cut at these times (default 10:00,16:00)", group: .schedule,
                read: Self.readTogether,
                show: { if case .daily(let minutes, _) = $0.schedule.kind { CutSchedule.timesText(minutes) } else { nil } }),
        Setting(key: "COURRIER_CUT_DAYS", option: "cut-days", value: "DAYS",
                help: "on these days: mon-fri, mon,wed,fri or all (default mon-fri)", group: .schedule,
                read: Self.readTogether,
                show: { if case .daily(_, let days) = $0.schedule.kind { CutSchedule.daysText(days) } else { nil } }),
        Setting(key: "COURRIER_TIME_ZONE", option: "time-zone", value: "ZONE",
                help: "in this time zone (default Europe/Brussels)", group: .schedule,
                read: Self.readTogether,
                show: { $0.schedule.timeZone.identifier }),
        Setting(key: "COURRIER_CUT_EVERY", option: "cut-every", value: "DURATION",
                help: "or cut every 15m, 30m, 2h… instead of at times", group: .schedule,
                read: Self.readTogether,
                show: { if case .every(let minutes) = $0.schedule.kind { "\(minutes)m" } else { nil } }),
        Setting(key: "COURRIER_GRACE", option: "grace", value: "DURATION",
                help: "after SIGTERM, how long a cut may go on (default 30s)", group: .schedule,
                read: { c, v, name in c.grace = try Duration.parse(v, name: name) },
                show: { Duration.describe($0.grace) }),
        Setting(key: "COURRIER_OPEN_TIMEOUT", option: "open-timeout", value: "DURATION",
                help: "the longest a customer's terms PDF or logo may take to read (default 10s)", group: .intake,
                read: { c, v, name in c.untrusted.time = try Duration.parse(v, name: name, minimum: 1) },
                show: { Duration.describe($0.untrusted.time) }),
        Setting(key: "COURRIER_OPEN_MEMORY", option: "open-memory", value: "SIZE",
                help: "the memory the process reading it may use (default 1024M)", group: .intake,
                read: { c, v, name in c.untrusted.memoryBytes = try Configuration.parseMemory(v, name: name) },
                show: { "\($0.untrusted.memoryBytes / 1024 / 1024)M" }),
        Setting(key: "COURRIER_TERMS_MEMORY", option: "terms-memory", value: "SIZE",
                help: "the memory a cut keeps for terms pages it has drawn, least recently used let go (default 512M)",
                group: .bundle,
                read: { c, v, name in c.termsMemory = try Configuration.parseMemory(v, name: name, minimum: 16) },
                show: { "\($0.termsMemory / 1024 / 1024)M" }),
        Setting(key: "COURRIER_METRICS", option: "metrics", value: "FILE",
                help: "write Prometheus metrics there", group: .metrics,
                read: { c, v, _ in c.metricsPath = v },
                show: { $0.metricsPath ?? "" }),
        Setting(key: "COURRIER_RETENTION", option: "older-than", value: "DURATION",
                help: "what purge forgets: letters finished that long ago, such as 90d", group: .retention,
                read: { c, v, name in c.retentionDays = Int(try Duration.parse(v, name: name, minimum: 86_400) / 86_400) },
                show: { $0.retentionDays.map { "\($0)d" } ?? "" }),
    ]

    /// A verb: what `courrier help VERB` shows of it and what it does, in one
    /// declaration (`CommandTable+Verbs.swift` holds them all).
    struct Verb: Sendable {
        var name: String
        var arguments: String
        var summary: String
        /// The settings groups whose options it takes, beside the common ones.
        var groups: [Group]
        /// Its own options.
        var options: [Option] = []
        var example: String
        /// Checks the call's words, before anything is opened; what runs it.
        var parse: @Sendable (VerbCall) throws(Arguments.UsageError) -> VerbAction
    }

    /// An option of one verb: its name, what it takes ("" for a flag), what it does.
    struct Option: Sendable {
        var name: String
        var value: String
        var help: String
        /// Whether every call of its verb gives it (`render -o OUT.pdf`); the usage shows it.
        var required = false
    }

    static let json = Option(name: "json", value: "", help: "answer in JSON, for programs")
    static let config = Option(name: "config", value: "FILE", help: "read KEY=VALUE settings from FILE first (COURRIER_CONFIG)")

    static func verb(_ name: String) -> Verb? { verbs.first { $0.name == name } }

    /// The settings a verb's options may set.
    static func settings(of verb: Verb) -> [Setting] {
        settings.filter { $0.group == .common || verb.groups.contains($0.group) }
    }

    /// Every option a verb takes, without `--`.
    static func options(of verb: Verb) -> Set<String> {
        Set(settings(of: verb).compactMap(\.option) + verb.options.map(\.name) + [json.name, config.name, "help"])
    }

    /// Options that take a value; the others are flags.
    static var valuedOptions: Set<String> {
        Set(settings.compactMap(\.option) + verbs.flatMap { $0.options.filter { !$0.value.isEmpty }.map(\.name) }
            + [config.name])
    }

    static var flagOptions: Set<String> {
        Set(verbs.flatMap { $0.options.filter { $0.value.isEmpty }.map(\.name) } + [json.name, "help", "version"])
    }

    // MARK: Text

    static var usage: String {
        var lines = ["Usage: courrier VERB [ARGUMENTS] [OPTIONS]", ""]
        for verb in verbs {
            lines += describe("\(verb.name) \(verb.arguments)", verb.summary, width: 36)
        }
        lines += ["", "`courrier help VERB` (or `courrier VERB --help`) gives a verb's options and an example.",
                  "Every setting is an option, an environment variable, or a line of the file --config FILE",
                  "(COURRIER_CONFIG); options override the environment, which overrides the file. Durations",
                  "are a number and its unit, 90s, 15m, 2h or 90d; a bare number is refused.", "",
                  "Settings every verb reads:"]
        lines += settings.filter { $0.group == .common }.flatMap(describe)
        lines += describe("--\(json.name)", json.help, width: 28) + describe("--\(config.name) \(config.value)", config.help, width: 28)
        return lines.joined(separator: "\n") + "\n"
    }

    /// What `courrier help VERB` prints.
    static func help(_ verb: Verb) -> String {
        var lines = ["Usage: courrier \(verb.name)\(verb.arguments.isEmpty ? "" : " \(verb.arguments)") [OPTIONS]", "",
                     verb.summary.prefix(1).uppercased() + verb.summary.dropFirst() + ".", ""]
        if !verb.options.isEmpty {
            lines.append("Options of \(verb.name):")
            lines += verb.options.flatMap { describe("--\($0.name)\($0.value.isEmpty ? "" : " \($0.value)")", $0.help, width: 28) }
            lines.append("")
        }
        lines.append("Settings (option, or the environment variable or configuration key after it):")
        lines += settings(of: verb).flatMap(describe)
        lines += describe("--\(json.name)", json.help, width: 28) + describe("--\(config.name) \(config.value)", config.help, width: 28)
        lines += ["", "Example:", "  \(verb.example)"]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func describe(_ setting: Setting) -> [String] {
        let name = setting.option.map { "--\($0) \(setting.value)" } ?? setting.key
        return describe(name, setting.option == nil ? setting.help : "\(setting.help) (\(setting.key))", width: 28)
    }

    /// A name and its description, the description beside it (or under it
    /// when the name is long), wrapped to fit a terminal of 100 columns.
    private static func describe(_ name: String, _ text: String, width: Int) -> [String] {
        let name = "  " + name
        let indent = String(repeating: " ", count: width)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && width + line.count + 1 + word.count > 100 {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        lines.append(line)
        let body = lines.map { indent + $0 }
        guard name.count < width else { return [name] + body }
        return [name.padding(toLength: width, withPad: " ", startingAt: 0) + lines[0]] + body.dropFirst()
    }
}
