import Foundation
import Letters

/// The embedded store: one SQLite file, in WAL mode, shared safely by the
/// processes of one machine. Every transaction that writes takes the write
/// lock first (`BEGIN IMMEDIATE`).
public final class SQLiteStore: SQLStore {
    let connection: SQLiteConnection
    /// The connection, as the rules written once in `Shared/` use it.
    var database: SQLDatabase { connection }

    /// The schema this build writes; `PRAGMA user_version` records it.
    public static var schemaVersion: Int { migrations.count }

    /// Opens or creates the store at `path`, creating its folder.
    public convenience init(path: String) throws {
        try self.init(path: path, schemaVersion: Self.schemaVersion)
    }

    /// Opens the store at `path` to read it only: it must exist, and it is
    /// neither created nor upgraded. For the verbs that only look.
    public init(readingPath path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.missing, "there is no store at \(path): check COURRIER_DATABASE (or --database); the first enqueue or wallet credit creates it")
        }
        connection = try SQLiteConnection(path: path, readOnly: true)
        let version = try connection.prepare("PRAGMA user_version").firstRow { $0.int(0) } ?? 0
        guard version == Self.schemaVersion else {
            connection.close()
            throw StoreError(.schemaVersion, version < Self.schemaVersion
                ? "the store \(path) has schema version \(version), older than this Courrier's \(Self.schemaVersion); a verb that writes (run, enqueue) upgrades it"
                : "the database \(path) has schema version \(version); this Courrier knows \(Self.schemaVersion) at most, upgrade Courrier")
        }
    }

    /// A store of an older schema, for the tests of upgrades.
    init(path: String, schemaVersion target: Int) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            // Names, addresses and amounts: for this user only, whatever the umask.
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        if !FileManager.default.fileExists(atPath: path) {
            // SQLite gives the WAL and shared-memory files the mode of the database file.
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 { Foundation.close(descriptor) }
        }
        connection = try SQLiteConnection(path: path)
        do {
            try migrate(to: target)
        } catch {
            connection.close()
            throw error
        }
    }

    public func close() {
        connection.close()
    }

    /// SQLite's `PRAGMA data_version`: read from the WAL index, no
    /// transaction, no disk read; it changes with every commit of another
    /// connection (https://sqlite.org/pragma.html#pragma_data_version).
    public func changeCounter() throws -> Int64 {
        try connection.prepare("PRAGMA data_version").firstRow { $0.int64(0) } ?? 0
    }

    private func migrate(to target: Int) throws {
        func storedVersion() throws -> Int {
            try connection.prepare("PRAGMA user_version").firstRow { $0.int(0) } ?? 0
        }
        let version = try storedVersion()
        guard version < target else {
            if version > Self.schemaVersion {
                throw StoreError(.schemaVersion, "the database \(connection.path) has schema version \(version); this Courrier knows \(Self.schemaVersion) at most, upgrade Courrier")
            }
            return
        }
        try connection.writeTransaction {
            // Read again under the write lock: another process may have upgraded it meanwhile.
            let current = try storedVersion()
            guard current < target else { return }
            for migration in Self.migrations[current..<target] {
                try connection.execute(migration)
            }
            try connection.execute("PRAGMA user_version = \(target)")
        }
    }

    /// Each version's changes, in order: a store of version N gets the ones after N.
    private static let migrations = [queueAndLedger, deliveries, logosAndAccounts, printStreams, schedule, attempts,
                                     rebuilds, oneWayToWriteTimes, checkedLetters, events, webhooks, printShopAnswers]

    /// The end of a lease of `seconds` from `now`, as every time is written.
    static func until(_ now: Date, _ seconds: TimeInterval) -> SQLiteValue {
        .text(storeTimestamp(now.addingTimeInterval(seconds)))
    }

    private static let queueAndLedger = """
        CREATE TABLE attachments (
            hash TEXT PRIMARY KEY,
            bytes BLOB NOT NULL,
            size INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE bundles (
            batch TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('cutting', 'cut', 'delivered')),
            letters INTEGER NOT NULL,
            pages INTEGER,
            sheets INTEGER,
            amount_cents INTEGER,
            path TEXT,
            created_at TEXT NOT NULL,
            completed_at TEXT
        );
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            document_id TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('queued', 'awaiting_funds', 'prepared', 'bundled', 'delivered', 'failed', 'cancelled')),
            document BLOB NOT NULL,
            document_hash TEXT NOT NULL,
            terms_hash TEXT REFERENCES attachments (hash),
            pages INTEGER,
            price_cents INTEGER,
            reason TEXT,
            batch TEXT REFERENCES bundles (batch),
            claimed_by TEXT,
            claimed_until INTEGER,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (account, document_id)
        );
        CREATE INDEX jobs_by_state ON jobs (state, id);
        CREATE INDEX jobs_by_batch ON jobs (batch);
        CREATE TABLE wallets (
            account TEXT PRIMARY KEY,
            balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0)
        );
        CREATE TABLE ledger (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            reference TEXT UNIQUE,
            job INTEGER REFERENCES jobs (id),
            reverses INTEGER UNIQUE REFERENCES ledger (id),
            created_at TEXT NOT NULL,
            CHECK ((kind = 'credit' AND amount_cents > 0 AND reference IS NOT NULL)
                OR (kind = 'debit' AND amount_cents < 0 AND job IS NOT NULL)
                OR (kind = 'refund' AND amount_cents > 0 AND reverses IS NOT NULL))
        );
        CREATE UNIQUE INDEX ledger_one_debit_per_job ON ledger (job) WHERE kind = 'debit';
        CREATE INDEX ledger_by_account ON ledger (account, id);
        CREATE TRIGGER ledger_never_updated BEFORE UPDATE ON ledger
            BEGIN SELECT RAISE(ABORT, 'ledger entries are never updated'); END;
        CREATE TRIGGER ledger_never_deleted BEFORE DELETE ON ledger
            BEGIN SELECT RAISE(ABORT, 'ledger entries are never deleted'); END;
        """

    /// The hand-off of each cut bundle: attempts, the last error, when to try
    /// again, and which worker holds it, so that one bundle is sent by one
    /// process at a time.
    private static let deliveries = """
        CREATE TABLE deliveries (
            batch TEXT PRIMARY KEY REFERENCES bundles (batch),
            destination TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_attempt_at TEXT,
            retry_at INTEGER,
            delivered_at TEXT,
            claimed_by TEXT,
            claimed_until INTEGER
        );
        """

    /// The sender's logo, stored once like a terms PDF; and what an account
    /// sets for all its letters: the envelope window its envelopes have.
    private static let logosAndAccounts = """
        ALTER TABLE jobs ADD COLUMN logo_hash TEXT REFERENCES attachments (hash);
        CREATE TABLE accounts (
            account TEXT PRIMARY KEY,
            envelope_window TEXT CHECK (envelope_window IN ('right', 'left')),
            updated_at TEXT NOT NULL
        );
        """

    /// Where each priced letter goes in a bundle (its stream, sheets and place
    /// in postal order), and which worker is cutting a bundle, so that one cut
    /// runs at a time. Letters priced before this version are placed as they
    /// would have been: folded, by their print options and address.
    private static let printStreams = """
        ALTER TABLE jobs ADD COLUMN stream TEXT;
        ALTER TABLE jobs ADD COLUMN sheets INTEGER;
        ALTER TABLE jobs ADD COLUMN sort_key TEXT;
        ALTER TABLE bundles ADD COLUMN claimed_by TEXT;
        ALTER TABLE bundles ADD COLUMN claimed_until INTEGER;
        CREATE INDEX jobs_in_print_order ON jobs (batch, stream, sort_key, id);
        UPDATE jobs SET
            stream = (CASE WHEN json_extract(CAST(document AS TEXT), '$.print.color') = 0 THEN 'bw' ELSE 'color' END)
                || (CASE WHEN json_extract(CAST(document AS TEXT), '$.print.duplex') = 1 THEN '-duplex' ELSE '-simplex' END)
                || '-c56',
            sheets = CASE WHEN json_extract(CAST(document AS TEXT), '$.print.duplex') = 1 THEN (pages + 1) / 2 ELSE pages END,
            sort_key = (CASE WHEN json_extract(CAST(document AS TEXT), '$.recipient.country') = 'BE' THEN '0 BE '
                        ELSE '1 ' || json_extract(CAST(document AS TEXT), '$.recipient.country') || ' ' END)
                || substr('0000000000' || upper(json_extract(CAST(document AS TEXT), '$.recipient.postal_code')), -10)
                || ' ' || lower(json_extract(CAST(document AS TEXT), '$.recipient.name'))
        WHERE state IN ('prepared', 'awaiting_funds') AND pages IS NOT NULL;
        """

    /// The scheduled cuts done, one row a slot, so that a restarted worker
    /// neither misses a slot nor cuts it twice; and a failure's kind, for
    /// counting failures by reason.
    private static let schedule = """
        ALTER TABLE jobs ADD COLUMN reason_code TEXT;
        UPDATE jobs SET reason_code = 'unknown' WHERE state = 'failed';
        CREATE TABLE cut_slots (
            slot TEXT PRIMARY KEY,
            batch TEXT REFERENCES bundles (batch),
            worker TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        """

    /// How many times each letter was started, to find the one that kills
    /// its process; since when a cut has been held, for "another process is
    /// cutting"; and which attachments are Courrier's own copies: those
    /// stored before are customers' files, read in isolation when drawn.
    private static let attempts = """
        ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE bundles ADD COLUMN claimed_at TEXT;
        ALTER TABLE attachments ADD COLUMN normalized INTEGER NOT NULL DEFAULT 0;
        """

    /// What a bundle's files must be when drawn again from the store (its
    /// SHA256SUMS at the cut), and how often its folder was lost and rebuilt.
    private static let rebuilds = """
        ALTER TABLE bundles ADD COLUMN checksums TEXT;
        ALTER TABLE bundles ADD COLUMN rebuilt INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE bundles ADD COLUMN last_rebuilt_at TEXT;
        """

    /// Every time in the store is written one way, `UTCTimestamp`'s text
    /// (`2026-12-01T10:00:00Z`), which sorts as it compares: the ends of
    /// leases and the next delivery attempts were seconds since 1970.
    private static let oneWayToWriteTimes = """
        UPDATE jobs SET claimed_until = strftime('%Y-%m-%dT%H:%M:%SZ', claimed_until, 'unixepoch')
            WHERE typeof(claimed_until) = 'integer';
        UPDATE bundles SET claimed_until = strftime('%Y-%m-%dT%H:%M:%SZ', claimed_until, 'unixepoch')
            WHERE typeof(claimed_until) = 'integer';
        UPDATE deliveries SET claimed_until = strftime('%Y-%m-%dT%H:%M:%SZ', claimed_until, 'unixepoch')
            WHERE typeof(claimed_until) = 'integer';
        UPDATE deliveries SET retry_at = strftime('%Y-%m-%dT%H:%M:%SZ', retry_at, 'unixepoch')
            WHERE typeof(retry_at) = 'integer';
        """

    /// The document as intake checked it (`Document.storedForm`), which
    /// preparation and the cut decode rather than check the JSON again.
    private static let checkedLetters = """
        ALTER TABLE jobs ADD COLUMN letter BLOB;
        """

    /// Every letter's story, appended in the transaction of each change. An
    /// event is never deleted, and only its details change, when purge
    /// takes personal data out of them. AUTOINCREMENT: an id is never used twice.
    private static let events = """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            job INTEGER NOT NULL REFERENCES jobs (id),
            account TEXT NOT NULL,
            document TEXT NOT NULL,
            kind TEXT NOT NULL,
            details TEXT NOT NULL
        );
        CREATE INDEX events_by_job ON events (job, id);
        CREATE INDEX events_by_account ON events (account, id);
        CREATE TRIGGER events_never_rewritten BEFORE UPDATE OF id, created_at, job, account, document, kind ON events
            BEGIN SELECT RAISE(ABORT, 'events are never rewritten; purge only takes personal data out of their details'); END;
        CREATE TRIGGER events_never_deleted BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are never deleted'); END;
        """

    /// How far each webhook endpoint has been sent the events, and its
    /// trouble: the event at its head is retried until it is acknowledged
    /// or abandoned. A claim lets one worker at a time send to an endpoint.
    private static let webhooks = """
        CREATE TABLE webhooks (
            endpoint TEXT PRIMARY KEY,
            sent_through INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            failing_since TEXT,
            retry_at TEXT,
            last_error TEXT,
            abandoned INTEGER NOT NULL DEFAULT 0,
            claimed_by TEXT,
            claimed_until TEXT
        );
        """

    /// What the print shop says after the hand-over: a bundle's
    /// acknowledgement, and each letter's answer (posted, spoiled,
    /// returned), found by its place in its bundle. Each response file is
    /// taken once by name and hash, each line applied once.
    private static let printShopAnswers = """
        ALTER TABLE bundles ADD COLUMN acknowledged_at TEXT;
        ALTER TABLE bundles ADD COLUMN acknowledgement TEXT;
        ALTER TABLE jobs ADD COLUMN sequence INTEGER;
        ALTER TABLE jobs ADD COLUMN answer TEXT CHECK (answer IN ('posted', 'spoiled', 'returned'));
        ALTER TABLE jobs ADD COLUMN answered_on TEXT;
        ALTER TABLE jobs ADD COLUMN reprint_of_batch TEXT;
        ALTER TABLE jobs ADD COLUMN reprint_of_sequence INTEGER;
        ALTER TABLE jobs ADD COLUMN reprints INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX jobs_by_place ON jobs (batch, sequence);
        CREATE TABLE response_files (
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            applied INTEGER NOT NULL,
            refused INTEGER NOT NULL,
            PRIMARY KEY (name, sha256)
        );
        CREATE TABLE answers (
            batch TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            status TEXT NOT NULL,
            day TEXT NOT NULL,
            reason TEXT,
            job INTEGER NOT NULL REFERENCES jobs (id),
            file TEXT NOT NULL,
            line INTEGER NOT NULL,
            taken_at TEXT NOT NULL,
            PRIMARY KEY (batch, sequence, status, day)
        );
        CREATE TABLE address_holds (
            account TEXT NOT NULL,
            address TEXT NOT NULL,
            lines TEXT NOT NULL,
            job INTEGER NOT NULL REFERENCES jobs (id),
            returned_on TEXT NOT NULL,
            reason TEXT,
            held_at TEXT NOT NULL,
            released_at TEXT,
            PRIMARY KEY (account, address)
        );
        CREATE TABLE printings (
            batch TEXT NOT NULL REFERENCES bundles (batch),
            job INTEGER NOT NULL REFERENCES jobs (id),
            account TEXT NOT NULL,
            sequence INTEGER,
            sheets INTEGER NOT NULL,
            charged_cents INTEGER NOT NULL,
            PRIMARY KEY (batch, job)
        );
        INSERT INTO printings (batch, job, account, sequence, sheets, charged_cents)
            SELECT batch, id, account, NULL, coalesce(sheets, 0), coalesce(price_cents, 0) FROM jobs
            WHERE batch IS NOT NULL AND state IN ('bundled', 'delivered');
        """

    /// Events are appended in commit order already: SQLite has one writer at a time.
    func takeEventLock() throws {}

    /// The write lock every writing transaction takes first is the cut's lock too.
    func takeCutLock() throws {}
}
