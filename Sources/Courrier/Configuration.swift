import Foundation
import Letters
import Delivery
import Storage

/// Where Courrier keeps its queue and puts its bundles, and what it charges.
public struct Configuration: Sendable {
    /// A SQLite file path.
    public var database: String
    /// The folder cut bundles are written to.
    public var outbox: String
    /// A `courrier.tariff/1` file; the built-in Belgian tariff when nil.
    public var tariffPath: String?
    /// Names this process in claims and logs.
    public var workerID: String

    /// Where bundles go after a cut: `sftp://USER@HOST[:PORT]/PATH` or
    /// `file:///PATH`. Nil keeps them in the outbox.
    public var deliverURL: String?
    /// The private key for an SFTP destination.
    public var sshKey: String?
    /// The known_hosts file that holds the SFTP server's host key.
    public var knownHosts: String?
    /// A file holding the key's passphrase; preferred to `passphrase`.
    public var passphraseFile: String?
    /// The key's passphrase, from `COURRIER_SSH_PASSPHRASE`. There is no
    /// option for it: a command line is visible to every user of the machine.
    public var passphrase: Secret?
    /// The file written last into a delivered bundle's folder.
    public var trigger = DeliverySettings.defaultTrigger
    /// The mode of the files a `file://` drop writes: the print shop's group
    /// reads them, others do not.
    public var dropMode = DropMode.standard
    /// The wait after a first failed delivery; it doubles with each further
    /// failure, up to an hour.
    public var deliveryRetry: TimeInterval = 60

    /// How the print shop folds and inserts: its window envelope for folded
    /// letters (C5/6 or DL) and the most sheets one holds; thicker letters go
    /// flat in C4.
    public var inserting = InsertingPolicy.standard
    /// The marks its inserter reads on each sheet; none by default.
    public var marks = MarkScheme.none

    /// `courrier worker`: how often it looks at the queue, when it cuts, and
    /// how long a cut in progress may go on after SIGTERM.
    public var pollInterval: TimeInterval = 5
    public var schedule = CutSchedule.standard
    public var grace: TimeInterval = 30
    /// A Prometheus text file, for node_exporter's textfile collector; none by default.
    public var metricsPath: String?

    /// Threads that prepare letters at once, each with its own store
    /// connection and renderer: one per core.
    public var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The most sheets in one PDF file of a bundle: a longer print stream is
    /// cut into parts, which the cut draws at once.
    public var sheetsPerFile = 1000

    /// How long a store transaction that failed for a reason that passes (a
    /// busy SQLite file, a PostgreSQL deadlock, a lost connection) is tried
    /// again before its round fails.
    public var storeRetry: TimeInterval = 60

    /// The bounds of the child process that reads each terms PDF and logo.
    public var untrusted = IsolatedOpener.Limits()

    /// The memory a cut keeps for terms pages it has drawn, to paint them on
    /// every letter that carries them; least recently used terms go first.
    /// Shared between the parts drawn at once.
    public var termsMemory = Configuration.defaultTermsMemory
    public static let defaultTermsMemory = 512 * 1024 * 1024

    /// How long after a letter's story ended `courrier purge` forgets it, in days.
    public var retentionDays: Int?

    public var logLevel = EventLog.Level.info
    public var logFormat = EventLog.Format.json

    public init(database: String = "var/courrier.sqlite", outbox: String = "var/outbox", tariffPath: String? = nil,
                workerID: String = Configuration.defaultWorkerID()) {
        self.database = database
        self.outbox = outbox
        self.tariffPath = tariffPath
        self.workerID = workerID
    }

    /// Every setting's key, as the environment and the configuration file
    /// name it, and the option that sets it on the command line (none for
    /// the passphrase: a command line is visible to every user).
    public static let settingKeys: [(key: String, value: String?)] = CommandTable.settings.map { ($0.key, $0.option) }

    /// The defaults, overridden by the `COURRIER_…` variables that are set.
    /// `name` says how an error names a setting: as the option or the
    /// file that gave it (`--poll`, `COURRIER_POLL in /etc/courrier/courrier.conf`).
    public static func fromEnvironment(_ environment: [String: String],
                                       name: (String) -> String = { $0 }) throws -> Configuration {
        var configuration = Configuration()
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        if let value = value("COURRIER_DATABASE") {
            try checkDatabase(value, name: name("COURRIER_DATABASE"))
            configuration.database = value
        }
        if let value = value("COURRIER_OUTBOX") { configuration.outbox = value }
        if let value = value("COURRIER_TARIFF") { configuration.tariffPath = value }
        configuration.deliverURL = value("COURRIER_DELIVER")
        configuration.sshKey = value("COURRIER_SSH_KEY")
        configuration.knownHosts = value("COURRIER_KNOWN_HOSTS")
        configuration.passphraseFile = value("COURRIER_SSH_PASSPHRASE_FILE")
        configuration.passphrase = value("COURRIER_SSH_PASSPHRASE").map(Secret.init)
        if let value = value("COURRIER_TRIGGER") { configuration.trigger = value }
        if let value = value("COURRIER_DROP_MODE") {
            guard let mode = DropMode.parse(value) else {
                throw MailRoomError("\(name("COURRIER_DROP_MODE")) is \"\(value.prefix(40))\", expected an octal file mode that the owner reads and writes "
                                    + "and others cannot read, such as 0640 or 0660")
            }
            configuration.dropMode = mode
        }
        if let value = value("COURRIER_DELIVERY_RETRY") {
            configuration.deliveryRetry = try Duration.parse(value, name: name("COURRIER_DELIVERY_RETRY"), minimum: 0)
        }
        if let value = value("COURRIER_WORKER_ID") { configuration.workerID = value }
        if let value = value("COURRIER_LOG_LEVEL") {
            guard let level = EventLog.Level(rawValue: value) else {
                throw MailRoomError("\(name("COURRIER_LOG_LEVEL")) is \"\(value)\", expected debug, info, warning or error")
            }
            configuration.logLevel = level
        }
        if let value = value("COURRIER_LOG_FORMAT") {
            guard let format = EventLog.Format(rawValue: value) else {
                throw MailRoomError("\(name("COURRIER_LOG_FORMAT")) is \"\(value)\", expected json or text")
            }
            configuration.logFormat = format
        }
        if let value = value("COURRIER_RETENTION") {
            configuration.retentionDays = Int(try Duration.parse(value, name: name("COURRIER_RETENTION"), minimum: 86_400) / 86_400)
        }
        if let value = value("COURRIER_STORE_RETRY") {
            configuration.storeRetry = try Duration.parse(value, name: name("COURRIER_STORE_RETRY"), minimum: 0)
        }
        if let value = value("COURRIER_STORE_RETRY") {
            configuration.storeRetry = try Duration.parse(value, name: name("COURRIER_STORE_RETRY"), minimum: 0)
        }
        if let value = value("COURRIER_POLL") { configuration.pollInterval = try Duration.parse(value, name: name("COURRIER_POLL")) }
        if let value = value("COURRIER_GRACE") { configuration.grace = try Duration.parse(value, name: name("COURRIER_GRACE")) }
        configuration.metricsPath = value("COURRIER_METRICS")
        if let value = value("COURRIER_THREADS") {
            guard let threads = Int(value), (1...64).contains(threads) else {
                throw MailRoomError("\(name("COURRIER_THREADS")) is \"\(value)\", expected a number of threads from 1 to 64")
            }
            configuration.threads = threads
        }
        if let value = value("COURRIER_FILE_SHEETS") {
            guard let sheets = Int(value), (10...100_000).contains(sheets) else {
                throw MailRoomError("\(name("COURRIER_FILE_SHEETS")) is \"\(value)\", expected the most sheets in one PDF file, 10 to 100000")
            }
            configuration.sheetsPerFile = sheets
        }
        if let value = value("COURRIER_OPEN_TIMEOUT") {
            configuration.untrusted.time = try Duration.parse(value, name: name("COURRIER_OPEN_TIMEOUT"), minimum: 1)
        }
        if let value = value("COURRIER_OPEN_MEMORY") {
            configuration.untrusted.memoryBytes = try parseMemory(value, name: name("COURRIER_OPEN_MEMORY"))
        }
        if let value = value("COURRIER_TERMS_MEMORY") {
            configuration.termsMemory = try parseMemory(value, name: name("COURRIER_TERMS_MEMORY"), minimum: 16)
        }
        configuration.schedule = try CutSchedule.parse(
            at: value("COURRIER_CUT_AT"), days: value("COURRIER_CUT_DAYS"), every: value("COURRIER_CUT_EVERY"),
            timeZone: value("COURRIER_TIME_ZONE"),
            names: (name("COURRIER_CUT_AT"), name("COURRIER_CUT_DAYS"), name("COURRIER_CUT_EVERY"),
                    name("COURRIER_TIME_ZONE")))
        try configuration.setPrintShop(envelope: value("COURRIER_ENVELOPE"), foldedSheets: value("COURRIER_FOLDED_SHEETS"),
                                       marks: value("COURRIER_MARKS"), names: (name("COURRIER_ENVELOPE"), name("COURRIER_FOLDED_SHEETS"),
                                              name("COURRIER_MARKS")))
        return configuration
    }

    /// Sets what is given of the print shop's envelope, sheet limit and marks,
    /// naming the setting (`names`) that is wrong.
    mutating func setPrintShop(envelope: String?, foldedSheets: String?, marks: String?,
                               names: (envelope: String, foldedSheets: String, marks: String)) throws {
        if let envelope {
            guard let chosen = Envelope(rawValue: envelope.uppercased()), !chosen.isFlat else {
                throw MailRoomError("\(names.envelope) is \"\(envelope)\", expected C5/6 or DL: the window envelope letters are folded into")
            }
            inserting.foldedEnvelope = chosen
        }
        if let foldedSheets {
            guard let sheets = Int(foldedSheets), (1...20).contains(sheets) else {
                throw MailRoomError("\(names.foldedSheets) is \"\(foldedSheets)\", expected the most sheets a folded envelope holds, 1 to 20")
            }
            inserting.maximumFoldedSheets = sheets
        }
        if let marks {
            guard let scheme = MarkScheme(marks) else {
                throw MailRoomError("\(names.marks) is \"\(marks)\", expected none, omr, datamatrix or omr+datamatrix")
            }
            self.marks = scheme
        }
    }

    /// The settings in force as the environment of a child Courrier (a part
    /// of a cut, a letter prepared alone): whatever gave them to this process
    /// (options, a file), the child works under the same, secrets aside.
    /// How the parent cuts its work (threads, sheets a file) is its own: a
    /// child does one piece of it, on one thread.
    func childEnvironment() -> [String: String] {
        var environment = ["COURRIER_CONFIG": "", "COURRIER_TARIFF": tariffPath ?? "", "COURRIER_THREADS": "1"]
        let parents = ["COURRIER_TARIFF", "COURRIER_THREADS", "COURRIER_FILE_SHEETS"]
        for (key, value) in effectiveSettings() where !ConfigFile.secretKeys.contains(key) && !parents.contains(key) {
            environment[key] = value
        }
        return environment
    }

    /// Every setting as a `COURRIER_…` key and the value in force, secrets
    /// masked: what `courrier config` prints.
    public func effectiveSettings() -> [(key: String, value: String)] {
        func duration(_ seconds: TimeInterval) -> String { Duration.describe(seconds) }
        var schedule: [(String, String)] = [("COURRIER_TIME_ZONE", self.schedule.timeZone.identifier)]
        switch self.schedule.kind {
        case .every(let minutes):
            schedule += [("COURRIER_CUT_EVERY", "\(minutes)m")]
        case .daily(let minutes, let weekdays):
            schedule += [("COURRIER_CUT_AT", CutSchedule.timesText(minutes)),
                         ("COURRIER_CUT_DAYS", CutSchedule.daysText(weekdays))]
        }
        let settings: [(String, String?)] = [
            ("COURRIER_DATABASE", database), ("COURRIER_OUTBOX", outbox), ("COURRIER_TARIFF", tariffPath ?? "(built in)"),
            ("COURRIER_DELIVER", deliverURL), ("COURRIER_SSH_KEY", sshKey), ("COURRIER_KNOWN_HOSTS", knownHosts),
            ("COURRIER_SSH_PASSPHRASE_FILE", passphraseFile), ("COURRIER_SSH_PASSPHRASE", passphrase.map { "\($0)" }),
            ("COURRIER_TRIGGER", trigger), ("COURRIER_DROP_MODE", dropMode.description),
            ("COURRIER_DELIVERY_RETRY", duration(deliveryRetry)),
            ("COURRIER_ENVELOPE", inserting.foldedEnvelope.rawValue),
            ("COURRIER_FOLDED_SHEETS", String(inserting.maximumFoldedSheets)), ("COURRIER_MARKS", marks.description),
            ("COURRIER_POLL", duration(pollInterval)), ("COURRIER_GRACE", duration(grace)),
            ("COURRIER_STORE_RETRY", duration(storeRetry)),
        ] + schedule + [
            ("COURRIER_METRICS", metricsPath), ("COURRIER_LOG_LEVEL", logLevel.rawValue),
            ("COURRIER_LOG_FORMAT", logFormat.rawValue), ("COURRIER_WORKER_ID", workerID),
            ("COURRIER_RETENTION", retentionDays.map { "\($0)d" }),
            ("COURRIER_THREADS", String(threads)), ("COURRIER_FILE_SHEETS", String(sheetsPerFile)),
            ("COURRIER_OPEN_TIMEOUT", duration(untrusted.time)),
            ("COURRIER_OPEN_MEMORY", "\(untrusted.memoryBytes / 1024 / 1024)M"),
            ("COURRIER_TERMS_MEMORY", "\(termsMemory / 1024 / 1024)M"),
        ]
        return settings.map { ($0.0, $0.1 ?? "") }
    }

    /// Checks what can be checked without doing the work: the tariff file
    /// reads, the delivery's key and known_hosts files are there, and the
    /// metrics file's folder can be written to.
    public func validate() throws {
        _ = try loadTariff()
        _ = try deliverySettings()
        if let metricsPath {
            let folder = (metricsPath as NSString).deletingLastPathComponent
            guard access(folder.isEmpty ? "." : folder, W_OK) == 0 else {
                throw MailRoomError("COURRIER_METRICS is \"\(metricsPath)\", but its folder cannot be written to (\(String(cString: strerror(errno))))")
            }
        }
    }

    /// A store is an SQLite file path or a `postgres://` URL. Any other
    /// scheme is refused, naming it, rather than taken for a path and made
    /// into a folder called `mysql:`; so is a URL with a password in it.
    static func checkDatabase(_ text: String, name: String) throws {
        if PostgresLocation.isURL(text) {
            if let problem = PostgresLocation.problem(text) {
                throw MailRoomError("\(name) \(problem)")
            }
            return
        }
        // host=db.example.be password=… is libpq's other way to name a
        // database; taken for a path, it would become a file named with the
        // password. The value is not repeated: it may hold that password.
        let keywords = ["host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode", "service"]
        if let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).first, let equals = first.firstIndex(of: "="),
           keywords.contains(first[..<equals].lowercased()) {
            throw MailRoomError("\(name) looks like a libpq connection string (\(first[..<equals])=…); give a "
                                + "postgres://USER@HOST:PORT/DATABASE URL, with the password in PGPASSFILE")
        }
        guard let range = text.range(of: "://") else { return }
        let scheme = String(text[..<range.lowerBound])
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            return
        }
        throw MailRoomError("\(name) has the scheme \"\(scheme)://\", which Courrier does not know: give the path of an SQLite file or a postgres:// URL")
    }

    /// An amount of memory: mebibytes (`512M`, or a bare `512`) or gibibytes
    /// (`2G`), from `minimum` MiB (256 by default: less does not start the reader).
    static func parseMemory(_ text: String, name: String, minimum: Int = 256) throws -> Int {
        let mebibytes: Int?
        switch text.uppercased().last {
        case "G": mebibytes = Int(text.dropLast()).flatMap { $0 <= 1024 ? $0 * 1024 : nil }
        case "M": mebibytes = Int(text.dropLast())
        default: mebibytes = Int(text)
        }
        guard let mebibytes, (minimum...1024 * 1024).contains(mebibytes) else {
            throw MailRoomError("\(name) is \"\(text.prefix(40))\", expected an amount of memory from \(minimum)M, such as 1024M or 2G")
        }
        return mebibytes * 1024 * 1024
    }

    /// The delivery settings, checked; nil when bundles stay in the outbox.
    public func deliverySettings() throws -> DeliverySettings? {
        guard let deliverURL else { return nil }
        let destination = try Destination(url: deliverURL)
        var passphrase = self.passphrase
        if let passphraseFile {
            passphrase = try DeliverySettings.passphrase(fromFile: passphraseFile)
        }
        let settings = DeliverySettings(destination: destination, sshKey: sshKey, passphrase: passphrase,
                                        knownHosts: knownHosts, trigger: trigger, fileMode: dropMode)
        try settings.validate()
        return settings
    }

    /// `HOST:PID`: which machine and process holds a claim, so that a process
    /// on the same machine can tell a crashed worker from a live one.
    public static func defaultWorkerID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// True when a stored claim names a process of this machine that no longer runs.
    static func isGoneLocalWorker(_ stored: String) -> Bool {
        Claimant(stored: stored)?.isGoneLocalProcess ?? false
    }

    /// Reads the tariff file, or gives the built-in one.
    public func loadTariff() throws -> Tariff {
        guard let tariffPath else { return .standard }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: tariffPath))
        } catch {
            throw MailRoomError("cannot read tariff \(tariffPath): \(error.localizedDescription)")
        }
        do {
            return try Tariff(json: data)
        } catch {
            throw MailRoomError("tariff \(tariffPath): \(error.description)")
        }
    }
}

/// A failure of a whole command, with the one line a person reads.
public struct MailRoomError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
