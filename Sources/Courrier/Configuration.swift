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
    /// How often the worker reads the print shop's answers from the drop, besides after each delivery.
    public var responsesEvery: TimeInterval = 900
    /// How often a letter the print shop spoiled is printed again before it fails, refunded.
    public var reprints = 2
    /// Public holidays, besides weekends, when the print shop does not post: `YYYY-MM-DD`.
    public var holidays: Set<String> = []
    /// Where every letter's events are posted, and the file holding the
    /// secret they are signed with; nil: no webhook.
    public var webhookURL: String?
    public var webhookSecretFile: String?
    /// How long the event at the head is tried again before it is abandoned.
    public var webhookGiveUp: TimeInterval = 86_400

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
        for setting in CommandTable.settings {
            if let value = value(setting.key) { try setting.read(&configuration, value, name(setting.key)) }
        }
        configuration.schedule = try CutSchedule.parse(
            at: value("COURRIER_CUT_AT"), days: value("COURRIER_CUT_DAYS"), every: value("COURRIER_CUT_EVERY"),
            timeZone: value("COURRIER_TIME_ZONE"),
            names: (name("COURRIER_CUT_AT"), name("COURRIER_CUT_DAYS"), name("COURRIER_CUT_EVERY"),
                    name("COURRIER_TIME_ZONE")))
        return configuration
    }

    /// The settings in force as the environment of a child Courrier (a part
    /// of a cut, a letter prepared alone): whatever gave them to this process
    /// (options, a file), the child works under the same, secrets aside.
    /// How the parent cuts its work (threads, sheets a file) is its own: a
    /// child does one piece of it, on one thread.
    func childEnvironment() -> [String: String] {
        var environment = ["COURRIER_CONFIG": "", "COURRIER_TARIFF": tariffPath ?? "", "COURRIER_THREADS": "1"]
        for setting in CommandTable.settings where setting.inherited {
            if let value = setting.show(self) { environment[setting.key] = value }
        }
        return environment
    }

    /// Every setting as a `COURRIER_…` key and the value in force, secrets
    /// masked: what `courrier config` prints.
    public func effectiveSettings() -> [(key: String, value: String)] {
        CommandTable.settings.compactMap { setting in setting.show(self).map { (setting.key, $0) } }
    }

    /// Checks what can be checked without doing the work: the tariff file
    /// reads, the delivery's key and known_hosts files are there, and the
    /// metrics file's folder can be written to.
    public func validate() throws {
        _ = try loadTariff()
        _ = try deliverySettings()
        _ = try webhookEndpoint()
        if let metricsPath {
            let folder = (metricsPath as NSString).deletingLastPathComponent
            guard access(folder.isEmpty ? "." : folder, W_OK) == 0 else {
                throw MailRoomError.setting("COURRIER_METRICS", is: metricsPath,
                                            "but its folder cannot be written to (\(String(cString: strerror(errno))))")
            }
        }
    }

    /// A store is an SQLite file path or a `postgres://` URL. Any other
    /// scheme is refused, naming it, rather than taken for a path and made
    /// into a folder called `mysql:`; so is a URL with a password in it.
    static func checkDatabase(_ text: String, name: String) throws {
        if PostgresLocation.isURL(text) {
            if let problem = PostgresLocation.problem(text) {
                throw MailRoomError(.setting, subject: name, "\(name) \(problem)")
            }
            return
        }
        // host=db.example.be password=… is libpq's other way to name a
        // database; taken for a path, it would become a file named with the
        // password. The value is not repeated: it may hold that password.
        let keywords = ["host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode", "service"]
        if let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).first, let equals = first.firstIndex(of: "="),
           keywords.contains(first[..<equals].lowercased()) {
            throw MailRoomError(.setting, subject: name, "\(name) looks like a libpq connection string (\(first[..<equals])=…); give a "
                                + "postgres://USER@HOST:PORT/DATABASE URL, with the password in PGPASSFILE")
        }
        guard let range = text.range(of: "://") else { return }
        let scheme = String(text[..<range.lowerBound])
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            return
        }
        throw MailRoomError(.setting, subject: name, "\(name) has the scheme \"\(scheme)://\", which Courrier does not know: give the path of an SQLite file or a postgres:// URL")
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
            throw MailRoomError.setting(name, is: text, expected: "an amount of memory from \(minimum)M, such as 1024M or 2G")
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

    /// The product's webhook, checked, its secret read; nil when there is none.
    public func webhookEndpoint() throws -> WebhookEndpoint? {
        guard let webhookURL else { return nil }
        guard let webhookSecretFile else {
            throw MailRoomError(.setting, subject: "COURRIER_WEBHOOK_SECRET_FILE",
                                "COURRIER_WEBHOOK_URL is set but COURRIER_WEBHOOK_SECRET_FILE is not: every event is signed, "
                                + "and the product checks the signature with the same secret")
        }
        return try WebhookEndpoint(url: webhookURL, secretFile: webhookSecretFile)
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
            throw MailRoomError(.tariff, subject: tariffPath, "cannot read tariff \(tariffPath): \(error.localizedDescription)")
        }
        do {
            return try Tariff(json: data)
        } catch {
            throw MailRoomError(.tariff, subject: tariffPath, "tariff \(tariffPath): \(error.description)")
        }
    }
}
