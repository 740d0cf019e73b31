import Foundation
import Letters

/// The embedded store: one SQLite file, in WAL mode, shared safely by the
/// processes of one machine. Every transaction that writes takes the write
/// lock first (`BEGIN IMMEDIATE`).
public final class SQLiteStore: LetterStore {
    private let connection: SQLiteConnection

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
            throw StoreError("there is no store at \(path): check COURRIER_DATABASE (or --database); the first enqueue or wallet credit creates it")
        }
        connection = try SQLiteConnection(path: path, readOnly: true)
        let version = try connection.prepare("PRAGMA user_version").firstRow { $0.int(0) } ?? 0
        guard version == Self.schemaVersion else {
            connection.close()
            throw StoreError(version < Self.schemaVersion
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
                throw StoreError("the database \(connection.path) has schema version \(version); this Courrier knows \(Self.schemaVersion) at most, upgrade Courrier")
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
    private static let migrations = [queueAndLedger, deliveries, logosAndAccounts, printStreams, schedule, attempts]

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

    // MARK: Jobs

    private static let jobColumns = """
        id, account, document_id, state, pages, price_cents, reason, batch, terms_hash, created_at, updated_at,
        logo_hash, stream, sheets
        """

    private static func readJob(_ row: SQLiteStatement) -> Job {
        Job(id: row.int64(0), account: row.text(1), documentID: row.text(2),
            state: JobState(rawValue: row.text(3)) ?? .failed,
            pages: row.optionalInt64(4).map(Int.init), priceCents: row.optionalInt64(5),
            reason: row.optionalText(6), batch: row.optionalText(7), termsHash: row.optionalText(8),
            logoHash: row.optionalText(11), stream: row.optionalText(12), sheets: row.optionalInt64(13).map(Int.init),
            createdAt: row.text(9), updatedAt: row.text(10))
    }

    public func job(_ id: Int64) throws -> Job? {
        try connection.prepare("SELECT \(Self.jobColumns) FROM jobs WHERE id = ?1")
            .firstRow([.integer(id)], Self.readJob)
    }

    public func enqueue(_ submission: Submission, at now: Date) throws -> EnqueueOutcome {
        let time = storeTimestamp(now)
        let documentHash = SHA256.hex(submission.document)
        let termsHash = submission.terms.map { SHA256.hex($0) }
        let logoHash = submission.logo.map { SHA256.hex($0) }
        return try connection.writeTransaction {
            let storeAttachment = try connection.prepare("""
                INSERT INTO attachments (hash, bytes, size, created_at, normalized) VALUES (?1, ?2, ?3, ?4, 1)
                ON CONFLICT (hash) DO UPDATE SET normalized = 1
                """)
            for (bytes, hash) in [(submission.terms, termsHash), (submission.logo, logoHash)] {
                if let bytes, let hash {
                    try storeAttachment.run([.text(hash), .blob(bytes), .integer(Int64(bytes.count)), .text(time)])
                }
            }
            let state: JobState = submission.failure == nil ? .queued : .failed
            let existing = try connection.prepare("""
                SELECT \(Self.jobColumns), document_hash FROM jobs WHERE account = ?1 AND document_id = ?2
                """).firstRow([.text(submission.account), .text(submission.documentID)]) { row in
                    (Self.readJob(row), row.text(14))
                }
            if let (job, hash) = existing {
                // A failed document may be corrected and sent again under the same id;
                // anything else is the same request made twice.
                guard job.state == .failed, hash != documentHash else {
                    return EnqueueOutcome(job: job, created: false)
                }
                try connection.prepare("""
                    UPDATE jobs SET state = ?2, document = ?3, document_hash = ?4, terms_hash = ?5, reason = ?6,
                        pages = NULL, price_cents = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = ?7,
                        logo_hash = ?8, reason_code = ?9
                    WHERE id = ?1
                    """).run([.integer(job.id), .text(state.rawValue), .blob(submission.document), .text(documentHash),
                              termsHash.map(SQLiteValue.text) ?? .null, submission.failure.map(SQLiteValue.text) ?? .null,
                              .text(time), logoHash.map(SQLiteValue.text) ?? .null,
                              submission.failureCode.map(SQLiteValue.text) ?? .null])
                return EnqueueOutcome(job: try self.job(job.id)!, created: true)
            }
            try connection.prepare("""
                INSERT INTO jobs (account, document_id, state, document, document_hash, terms_hash, reason,
                                  created_at, updated_at, logo_hash, reason_code)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)
                """).run([.text(submission.account), .text(submission.documentID), .text(state.rawValue),
                          .blob(submission.document), .text(documentHash),
                          termsHash.map(SQLiteValue.text) ?? .null, submission.failure.map(SQLiteValue.text) ?? .null,
                          .text(time), logoHash.map(SQLiteValue.text) ?? .null,
                          submission.failureCode.map(SQLiteValue.text) ?? .null])
            return EnqueueOutcome(job: try self.job(connection.lastInsertedRowID)!, created: true)
        }
    }

    public func claimQueued(limit: Int, worker: String, lease: TimeInterval, at now: Date) throws -> [ClaimedJob] {
        let nowSeconds = Int64(now.timeIntervalSince1970)
        // Looked at first: a worker polling an empty queue takes no write lock.
        let waiting = try connection.prepare("""
            SELECT count(*) FROM (SELECT 1 FROM jobs WHERE state = 'queued'
                                  AND (claimed_until IS NULL OR claimed_until < ?1) LIMIT 1)
            """).firstRow([.integer(nowSeconds)]) { $0.int(0) } ?? 0
        guard waiting > 0 else { return [] }
        return try connection.writeTransaction {
            // A letter whose lease ran out in the hands of a process that never
            // came back, as often as a letter may: it is what killed them.
            try failCrashed(where: "claimed_by IS NOT NULL AND claimed_until < ?1", [.integer(nowSeconds)], at: now)
            return try connection.prepare("""
                UPDATE jobs SET claimed_by = ?1, claimed_until = ?2
                WHERE id IN (SELECT id FROM jobs WHERE state = 'queued'
                             AND (claimed_until IS NULL OR claimed_until < ?3) ORDER BY id LIMIT ?4)
                RETURNING \(Self.jobColumns), document
                """).rows([.text(worker), .integer(nowSeconds + Int64(lease)), .integer(nowSeconds), .integer(Int64(limit))]) { row in
                    ClaimedJob(job: Self.readJob(row), document: row.blob(14))
                }.sorted { $0.job.id < $1.job.id }
        }
    }

    public func startPreparing(job: Int64, worker: String, finished: Int64?) throws -> Bool {
        try connection.lightWriteTransaction {
            if let finished {
                try connection.prepare("""
                    UPDATE jobs SET attempts = max(0, attempts - 1) WHERE id = ?1 AND state = 'queued' AND claimed_by = ?2
                    """).run([.integer(finished), .text(worker)])
            }
            return try connection.prepare("""
                UPDATE jobs SET attempts = attempts + 1 WHERE id = ?1 AND state = 'queued' AND claimed_by = ?2 RETURNING id
                """).rows([.integer(job), .text(worker)]) { $0.int64(0) }.count == 1
        }
    }

    public func settle(_ decisions: [PreparationDecision], at now: Date) throws -> [ChargeOutcome?] {
        try connection.writeTransaction {
            try decisions.map { decision in
                switch decision {
                case .charge(let job, let pages, let price, let placement):
                    return try chargeInTransaction(job: job, pages: pages, priceCents: price, placement: placement, at: now)
                case .fail(let job, let reason, let code):
                    try failInTransaction(job: job, reason: reason, code: code, at: now)
                    return nil
                }
            }
        }
    }

    /// Fails the queued letters matching `condition` that were claimed
    /// `crashLimit` times: each time, their process died with them in hand.
    private func failCrashed(where condition: String, _ values: [SQLiteValue], at now: Date) throws {
        let reason = "preparing this letter ended the process that prepared it \(crashLimit) times; "
            + "it was set aside so that the other letters go on. Send it again once its document or files are checked"
        let next = values.count + 1
        try connection.prepare("""
            UPDATE jobs SET state = 'failed', reason = ?\(next), reason_code = 'crashed', claimed_by = NULL,
                claimed_until = NULL, updated_at = ?\(next + 1)
            WHERE state = 'queued' AND attempts >= \(crashLimit) AND \(condition)
            """).run(values + [.text(reason), .text(storeTimestamp(now))])
    }

    public func claimingWorkers() throws -> [String] {
        try connection.prepare("""
            SELECT claimed_by FROM jobs WHERE state = 'queued' AND claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM bundles WHERE state = 'cutting' AND claimed_by IS NOT NULL
            """).rows([]) { $0.text(0) }
    }

    public func releaseClaims(of workers: [String], crashed: Bool, at now: Date) throws {
        try connection.writeTransaction {
            let releaseJobs = try connection.prepare("""
                UPDATE jobs SET claimed_by = NULL, claimed_until = NULL WHERE state = 'queued' AND claimed_by = ?1
                """)
            let releaseDeliveries = try connection.prepare("""
                UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?1
                """)
            let releaseCuts = try connection.prepare("""
                UPDATE bundles SET claimed_by = NULL, claimed_until = NULL, claimed_at = NULL
                WHERE state = 'cutting' AND claimed_by = ?1
                """)
            for worker in workers {
                if crashed {
                    try failCrashed(where: "claimed_by = ?1", [.text(worker)], at: now)
                }
                try releaseJobs.run([.text(worker)])
                try releaseDeliveries.run([.text(worker)])
                try releaseCuts.run([.text(worker)])
            }
        }
    }

    public func jobsAwaitingFunds() throws -> [Job] {
        try connection.prepare("SELECT \(Self.jobColumns) FROM jobs WHERE state = 'awaiting_funds' ORDER BY id")
            .rows([], Self.readJob)
    }

    public func attachment(hash: String) throws -> StoredAttachment? {
        try connection.prepare("SELECT bytes, normalized FROM attachments WHERE hash = ?1").firstRow([.text(hash)]) {
            StoredAttachment(bytes: $0.blob(0), normalized: $0.int(1) != 0)
        }
    }

    // MARK: Accounts

    public func envelopeWindow(account: String) throws -> EnvelopeWindow? {
        try connection.prepare("SELECT envelope_window FROM accounts WHERE account = ?1")
            .firstRow([.text(account)]) { $0.optionalText(0).flatMap(EnvelopeWindow.init(rawValue:)) } ?? nil
    }

    public func setEnvelopeWindow(_ window: EnvelopeWindow?, account: String, at now: Date) throws {
        try connection.writeTransaction {
            try connection.prepare("""
                INSERT INTO accounts (account, envelope_window, updated_at) VALUES (?1, ?2, ?3)
                ON CONFLICT (account) DO UPDATE SET envelope_window = excluded.envelope_window,
                                                    updated_at = excluded.updated_at
                """).run([.text(account), window.map { .text($0.rawValue) } ?? .null, .text(storeTimestamp(now))])
        }
    }

    // MARK: Money

    private func walletBalance(_ account: String) throws -> Int64 {
        try connection.prepare("SELECT balance_cents FROM wallets WHERE account = ?1")
            .firstRow([.text(account)]) { $0.int64(0) } ?? 0
    }

    private func addToWallet(_ account: String, _ cents: Int64) throws {
        // A debit updates the wallet in place: an upsert would check the CHECK
        // constraint against the negative amount it first tries to insert.
        if cents < 0 {
            try connection.prepare("UPDATE wallets SET balance_cents = balance_cents + ?2 WHERE account = ?1")
                .run([.text(account), .integer(cents)])
            return
        }
        try connection.prepare("""
            INSERT INTO wallets (account, balance_cents) VALUES (?1, ?2)
            ON CONFLICT (account) DO UPDATE SET balance_cents = balance_cents + excluded.balance_cents
            """).run([.text(account), .integer(cents)])
    }

    public func charge(job id: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?,
                       at now: Date) throws -> ChargeOutcome {
        try connection.writeTransaction {
            try chargeInTransaction(job: id, pages: pages, priceCents: priceCents, placement: placement, at: now)
        }
    }

    private func chargeInTransaction(job id: Int64, pages: Int, priceCents: Int64, placement: PrintPlacement?,
                                     at now: Date) throws -> ChargeOutcome {
        guard priceCents > 0 else { throw StoreError("job \(id) has no price (\(priceCents) cents)") }
        let time = storeTimestamp(now)
        do {
            guard let job = try job(id) else { throw StoreError("job \(id) does not exist") }
            guard job.state == .queued || job.state == .awaitingFunds else { return .skipped(job.state) }
            if let placement {
                try connection.prepare("""
                    UPDATE jobs SET stream = ?2, sheets = ?3, sort_key = ?4 WHERE id = ?1
                    """).run([.integer(id), .text(placement.stream.name), .integer(Int64(placement.sheets)),
                              .text(placement.sortKey)])
            }
            let balance = try walletBalance(job.account)
            guard balance >= priceCents else {
                try connection.prepare("""
                    UPDATE jobs SET state = 'awaiting_funds', pages = ?2, price_cents = ?3,
                        claimed_by = NULL, claimed_until = NULL, updated_at = ?4 WHERE id = ?1
                    """).run([.integer(id), .integer(Int64(pages)), .integer(priceCents), .text(time)])
                return .awaitingFunds(balanceCents: balance)
            }
            try connection.prepare("""
                INSERT INTO ledger (account, kind, amount_cents, job, created_at) VALUES (?1, 'debit', ?2, ?3, ?4)
                """).run([.text(job.account), .integer(-priceCents), .integer(id), .text(time)])
            try addToWallet(job.account, -priceCents)
            try connection.prepare("""
                UPDATE jobs SET state = 'prepared', pages = ?2, price_cents = ?3, reason = NULL,
                    claimed_by = NULL, claimed_until = NULL, updated_at = ?4 WHERE id = ?1
                """).run([.integer(id), .integer(Int64(pages)), .integer(priceCents), .text(time)])
            return .prepared(balanceAfterCents: balance - priceCents)
        }
    }

    public func fail(job id: Int64, reason: String, code: String, at now: Date) throws {
        try connection.writeTransaction {
            try failInTransaction(job: id, reason: reason, code: code, at: now)
        }
    }

    private func failInTransaction(job id: Int64, reason: String, code: String, at now: Date) throws {
        try connection.prepare("""
            UPDATE jobs SET state = 'failed', reason = ?2, reason_code = ?4, claimed_by = NULL, claimed_until = NULL,
                updated_at = ?3
            WHERE id = ?1 AND state IN ('queued', 'awaiting_funds')
            """).run([.integer(id), .text(reason), .text(storeTimestamp(now)), .text(code)])
    }

    public func cancel(job id: Int64, at now: Date) throws -> CancelOutcome {
        let time = storeTimestamp(now)
        return try connection.writeTransaction {
            guard let job = try job(id) else { throw StoreError("job \(id) does not exist") }
            guard job.state.isCancellable, job.batch == nil else {
                return .notCancellable(job.batch == nil ? job.state : .bundled)
            }
            var refunded: Int64 = 0
            if job.state == .prepared {
                let debit = try connection.prepare("""
                    SELECT id, amount_cents FROM ledger WHERE job = ?1 AND kind = 'debit'
                    """).firstRow([.integer(id)]) { ($0.int64(0), $0.int64(1)) }
                if let (debitID, amount) = debit {
                    refunded = -amount
                    try connection.prepare("""
                        INSERT INTO ledger (account, kind, amount_cents, job, reverses, created_at)
                        VALUES (?1, 'refund', ?2, ?3, ?4, ?5)
                        """).run([.text(job.account), .integer(refunded), .integer(id), .integer(debitID), .text(time)])
                    try addToWallet(job.account, refunded)
                }
            }
            try connection.prepare("""
                UPDATE jobs SET state = 'cancelled', claimed_by = NULL, claimed_until = NULL, updated_at = ?2 WHERE id = ?1
                """).run([.integer(id), .text(time)])
            return .cancelled(refundedCents: refunded)
        }
    }

    public func credit(account: String, cents: Int64, reference: String, at now: Date) throws -> CreditOutcome {
        guard cents > 0 else { throw StoreError("a credit must be a positive amount, got \(Cents.decimalString(cents))") }
        return try connection.writeTransaction {
            let existing = try connection.prepare("""
                SELECT account, amount_cents FROM ledger WHERE reference = ?1
                """).firstRow([.text(reference)]) { ($0.text(0), $0.int64(1)) }
            if let (existingAccount, amount) = existing {
                guard existingAccount == account, amount == cents else {
                    throw StoreError("reference \(reference) was already used to credit \(Cents.decimalString(amount)) to \(existingAccount)")
                }
                return .alreadyCredited(balanceCents: try walletBalance(account))
            }
            try connection.prepare("""
                INSERT INTO ledger (account, kind, amount_cents, reference, created_at) VALUES (?1, 'credit', ?2, ?3, ?4)
                """).run([.text(account), .integer(cents), .text(reference), .text(storeTimestamp(now))])
            try addToWallet(account, cents)
            return .credited(balanceCents: try walletBalance(account))
        }
    }

    public func balance(account: String) throws -> Int64 {
        try walletBalance(account)
    }

    public func history(account: String) throws -> [LedgerEntry] {
        try connection.prepare("""
            SELECT id, account, kind, amount_cents, reference, job, reverses, created_at
            FROM ledger WHERE account = ?1 ORDER BY id
            """).rows([.text(account)]) { row in
                LedgerEntry(id: row.int64(0), account: row.text(1), kind: LedgerEntry.Kind(rawValue: row.text(2))!,
                            amountCents: row.int64(3), reference: row.optionalText(4), job: row.optionalInt64(5),
                            reverses: row.optionalInt64(6), createdAt: row.text(7))
            }
    }

    // MARK: Cuts

    public func openCut(batchPrefix: String, worker: String, lease: TimeInterval, slot: String?,
                        at now: Date) throws -> CutOpening {
        let time = storeTimestamp(now)
        let nowSeconds = Int64(now.timeIntervalSince1970)
        return try connection.writeTransaction {
            // One cut at a time: another worker's cut in progress comes first.
            let busy = try connection.prepare("""
                SELECT count(*) FROM bundles WHERE state = 'cutting' AND claimed_by IS NOT NULL AND claimed_by != ?1
                    AND claimed_until >= ?2
                """).firstRow([.text(worker), .integer(nowSeconds)]) { $0.int(0) } ?? 0
            guard busy == 0 else { return .busy }
            if let slot {
                let done = try connection.prepare("SELECT count(*) FROM cut_slots WHERE slot = ?1")
                    .firstRow([.text(slot)]) { $0.int(0) } ?? 0
                guard done == 0 else { return .slotAlreadyCut }
                try connection.prepare("""
                    INSERT INTO cut_slots (slot, worker, recorded_at) VALUES (?1, ?2, ?3)
                    """).run([.text(slot), .text(worker), .text(time)])
            }
            let waiting = try connection.prepare("""
                SELECT count(*) FROM jobs WHERE state = 'prepared' AND batch IS NULL
                """).firstRow { $0.int(0) } ?? 0
            guard waiting > 0 else { return .nothingToCut }
            let number = (try connection.prepare("SELECT count(*) FROM bundles").firstRow { $0.int(0) } ?? 0) + 1
            let batch = "\(batchPrefix)-\(String(repeating: "0", count: max(0, 4 - String(number).count)))\(number)"
            try connection.prepare("""
                INSERT INTO bundles (batch, state, letters, created_at, claimed_by, claimed_until, claimed_at)
                VALUES (?1, 'cutting', ?2, ?3, ?4, ?5, ?3)
                """).run([.text(batch), .integer(Int64(waiting)), .text(time), .text(worker),
                          .integer(nowSeconds + Int64(lease))])
            try connection.prepare("""
                UPDATE jobs SET batch = ?1, updated_at = ?2 WHERE state = 'prepared' AND batch IS NULL
                """).run([.text(batch), .text(time)])
            if let slot {
                try connection.prepare("UPDATE cut_slots SET batch = ?2 WHERE slot = ?1").run([.text(slot), .text(batch)])
            }
            return .opened(Cut(batch: batch, createdAt: time, letters: waiting))
        }
    }

    public func latestCutSlot() throws -> String? {
        try connection.prepare("SELECT max(slot) FROM cut_slots").firstRow { $0.optionalText(0) } ?? nil
    }

    public func recordSlot(_ slot: String, worker: String, at now: Date) throws {
        try connection.writeTransaction {
            try connection.prepare("""
                INSERT INTO cut_slots (slot, worker, recorded_at) VALUES (?1, ?2, ?3) ON CONFLICT (slot) DO NOTHING
                """).run([.text(slot), .text(worker), .text(storeTimestamp(now))])
        }
    }

    public func unfinishedCuts() throws -> [Cut] {
        try connection.prepare("""
            SELECT batch, created_at, letters FROM bundles WHERE state = 'cutting' ORDER BY created_at, batch
            """).rows { Cut(batch: $0.text(0), createdAt: $0.text(1), letters: $0.int(2)) }
    }

    public func claimUnfinishedCuts(worker: String, lease: TimeInterval, at now: Date) throws -> [Cut] {
        let nowSeconds = Int64(now.timeIntervalSince1970)
        return try connection.writeTransaction {
            try connection.prepare("""
                UPDATE bundles SET claimed_by = ?1, claimed_until = ?2,
                    claimed_at = CASE WHEN claimed_by IS ?1 THEN claimed_at ELSE ?4 END
                WHERE state = 'cutting' AND (claimed_by IS NULL OR claimed_by = ?1 OR claimed_until < ?3)
                RETURNING batch, created_at, letters
                """).rows([.text(worker), .integer(nowSeconds + Int64(lease)), .integer(nowSeconds), .text(storeTimestamp(now))]) {
                    Cut(batch: $0.text(0), createdAt: $0.text(1), letters: $0.int(2))
                }.sorted { ($0.createdAt, $0.batch) < ($1.createdAt, $1.batch) }
        }
    }

    public func streams(in batch: String) throws -> [String] {
        try connection.prepare("SELECT DISTINCT stream FROM jobs WHERE batch = ?1 ORDER BY stream")
            .rows([.text(batch)]) { $0.optionalText(0) ?? "" }
    }

    public func slots(in batch: String, stream: String) throws -> [(position: PrintPosition, sheets: Int)] {
        try connection.prepare("""
            SELECT sort_key, id,
                coalesce(sheets, CASE WHEN stream LIKE '%-duplex-%' THEN (pages + 1) / 2 ELSE pages END, 1)
            FROM jobs WHERE batch = ?1 AND stream IS ?2 ORDER BY sort_key, id
            """).rows([.text(batch), stream.isEmpty ? .null : .text(stream)]) {
                (PrintPosition(sortKey: $0.optionalText(0) ?? "", job: $0.int64(1)), $0.int(2))
            }
    }

    public func letters(in batch: String, stream: String, after position: PrintPosition?, limit: Int) throws -> [BatchLetter] {
        try connection.prepare("""
            SELECT \(Self.jobColumns), document, sort_key FROM jobs
            WHERE batch = ?1 AND stream IS ?2 AND (sort_key, id) > (?3, ?4)
            ORDER BY sort_key, id LIMIT ?5
            """).rows([.text(batch), stream.isEmpty ? .null : .text(stream), .text(position?.sortKey ?? ""),
                       .integer(position?.job ?? 0), .integer(Int64(limit))]) {
                BatchLetter(job: Self.readJob($0), document: $0.blob(14),
                            position: PrintPosition(sortKey: $0.optionalText(15) ?? "", job: $0.int64(0)))
            }
    }

    public func renewCut(_ batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Bool {
        let nowSeconds = Int64(now.timeIntervalSince1970)
        return try connection.writeTransaction {
            try connection.prepare("""
                UPDATE bundles SET claimed_until = ?3 WHERE batch = ?1 AND state = 'cutting' AND claimed_by = ?2
                RETURNING batch
                """).rows([.text(batch), .text(worker), .integer(nowSeconds + Int64(lease))]) { $0.text(0) }.count == 1
        }
    }

    public func cutInProgress(at now: Date) throws -> CutHolder? {
        try connection.prepare("""
            SELECT batch, claimed_by, coalesce(claimed_at, created_at) FROM bundles
            WHERE state = 'cutting' AND claimed_by IS NOT NULL AND claimed_until >= ?1 ORDER BY created_at LIMIT 1
            """).firstRow([.integer(Int64(now.timeIntervalSince1970))]) {
                CutHolder(batch: $0.text(0), worker: $0.text(1), since: $0.text(2))
            }
    }

    public func completeCut(_ batch: String, worker: String, summary: BundleSummary, at now: Date) throws -> Bool {
        let time = storeTimestamp(now)
        return try connection.writeTransaction {
            // Fenced: a worker whose lease ran out and was taken over records nothing.
            let completed = try connection.prepare("""
                UPDATE bundles SET state = 'cut', path = ?2, letters = ?3, pages = ?4, sheets = ?5, amount_cents = ?6,
                    completed_at = ?7, claimed_by = NULL, claimed_until = NULL
                WHERE batch = ?1 AND state = 'cutting' AND claimed_by = ?8
                RETURNING batch
                """).rows([.text(batch), .text(summary.path), .integer(Int64(summary.letters)), .integer(Int64(summary.pages)),
                           .integer(Int64(summary.sheets)), .integer(summary.amountCents), .text(time), .text(worker)]) { $0.text(0) }
            guard completed.count == 1 else { return false }
            try connection.prepare("""
                UPDATE jobs SET state = 'bundled', updated_at = ?2 WHERE batch = ?1 AND state = 'prepared'
                """).run([.text(batch), .text(time)])
            return true
        }
    }

    // MARK: Deliveries

    public func undeliveredBundles() throws -> [PendingDelivery] {
        try connection.prepare("""
            SELECT b.batch, b.path, b.letters, b.completed_at, coalesce(d.attempts, 0), d.last_error, d.last_attempt_at,
                   d.retry_at, d.destination
            FROM bundles b LEFT JOIN deliveries d ON d.batch = b.batch
            WHERE b.state = 'cut' ORDER BY b.created_at, b.batch
            """).rows { row in
                PendingDelivery(batch: row.text(0), path: row.optionalText(1), letters: row.int(2),
                                cutAt: row.optionalText(3) ?? "", attempts: row.int(4), lastError: row.optionalText(5),
                                lastAttemptAt: row.optionalText(6),
                                retryAt: row.optionalInt64(7).map { Date(timeIntervalSince1970: TimeInterval($0)) },
                                destination: row.optionalText(8))
            }
    }

    public func claimDelivery(batch: String, worker: String, lease: TimeInterval, at now: Date) throws -> Int? {
        let nowSeconds = Int64(now.timeIntervalSince1970)
        return try connection.writeTransaction {
            let state = try connection.prepare("SELECT state FROM bundles WHERE batch = ?1")
                .firstRow([.text(batch)]) { $0.text(0) }
            guard state == "cut" else { return nil }
            return try connection.prepare("""
                INSERT INTO deliveries (batch, attempts, last_attempt_at, claimed_by, claimed_until)
                VALUES (?1, 1, ?2, ?3, ?4)
                ON CONFLICT (batch) DO UPDATE SET attempts = attempts + 1, last_attempt_at = excluded.last_attempt_at,
                    claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
                WHERE deliveries.claimed_by IS NULL OR deliveries.claimed_until < ?5
                RETURNING attempts
                """).firstRow([.text(batch), .text(storeTimestamp(now)), .text(worker),
                                 .integer(nowSeconds + Int64(lease)), .integer(nowSeconds)]) { $0.int(0) }
        }
    }

    public func recordDeliveryFailure(batch: String, destination: String, reason: String, retryAt: Date,
                                      at now: Date) throws {
        try connection.writeTransaction {
            try connection.prepare("""
                UPDATE deliveries SET destination = ?2, last_error = ?3, retry_at = ?4, claimed_by = NULL,
                    claimed_until = NULL WHERE batch = ?1
                """).run([.text(batch), .text(destination), .text(reason),
                          .integer(Int64(retryAt.timeIntervalSince1970.rounded(.up)))])
        }
    }

    public func recordDelivered(batch: String, destination: String, at now: Date) throws {
        let time = storeTimestamp(now)
        try connection.writeTransaction {
            try connection.prepare("""
                UPDATE deliveries SET destination = ?2, delivered_at = ?3, last_error = NULL, retry_at = NULL,
                    claimed_by = NULL, claimed_until = NULL WHERE batch = ?1
                """).run([.text(batch), .text(destination), .text(time)])
            try connection.prepare("UPDATE bundles SET state = 'delivered' WHERE batch = ?1 AND state = 'cut'")
                .run([.text(batch)])
            try connection.prepare("""
                UPDATE jobs SET state = 'delivered', updated_at = ?2 WHERE batch = ?1 AND state = 'bundled'
                """).run([.text(batch), .text(time)])
        }
    }

    // MARK: Status

    // MARK: Retention

    public func purge(before cutoff: Date, at now: Date) throws -> PurgeReport {
        let limit = storeTimestamp(cutoff)
        // Deleted and overwritten content is zeroed on disk, not left in free pages.
        try connection.execute("PRAGMA secure_delete = ON")
        defer { try? connection.execute("PRAGMA secure_delete = OFF") }
        let report = try connection.writeTransaction { () throws -> PurgeReport in
            var report = PurgeReport()
            // Letters whose story is over: their documents go, their charges stay.
            report.jobs = try connection.prepare("""
                UPDATE jobs SET document = X'7B7D', document_hash = 'purged', terms_hash = NULL, logo_hash = NULL,
                    sort_key = NULL,
                    reason = CASE WHEN reason IS NULL THEN NULL ELSE 'purged (' || coalesce(reason_code, 'unknown') || ')' END,
                    updated_at = ?2
                WHERE state IN ('delivered', 'failed', 'cancelled') AND updated_at < ?1 AND document_hash != 'purged'
                RETURNING id
                """).rows([.text(limit), .text(storeTimestamp(now))]) { $0.int64(0) }.count
            report.attachments = try connection.prepare("""
                DELETE FROM attachments WHERE hash NOT IN (SELECT terms_hash FROM jobs WHERE terms_hash IS NOT NULL)
                    AND hash NOT IN (SELECT logo_hash FROM jobs WHERE logo_hash IS NOT NULL)
                RETURNING hash
                """).rows([]) { $0.text(0) }.count
            // Delivered bundles: their folders (letters and addresses) go, their summary stays.
            report.bundleFolders = try connection.prepare("""
                SELECT path FROM bundles
                WHERE state = 'delivered' AND completed_at < ?1 AND path IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.batch = bundles.batch AND jobs.document_hash != 'purged')
                """).rows([.text(limit)]) { $0.text(0) }
            let forget = try connection.prepare("UPDATE bundles SET path = NULL WHERE path = ?1")
            for path in report.bundleFolders { try forget.run([.text(path)]) }
            return report
        }
        // Nothing of the old pages may stay in the write-ahead log either.
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return report
    }

    public func metrics() throws -> StoreMetrics {
        var metrics = StoreMetrics()
        for (state, count) in try connection.prepare("SELECT state, count(*) FROM jobs GROUP BY state")
            .rows([], { ($0.text(0), $0.int(1)) }) {
            if let state = JobState(rawValue: state) { metrics.jobs[state] = count }
        }
        metrics.oldestQueuedAt = try connection.prepare("SELECT min(created_at) FROM jobs WHERE state = 'queued'")
            .firstRow { $0.optionalText(0) } ?? nil
        for (code, count) in try connection.prepare("""
            SELECT coalesce(reason_code, 'unknown'), count(*) FROM jobs WHERE state = 'failed' GROUP BY 1
            """).rows([], { ($0.text(0), $0.int(1)) }) {
            metrics.failuresByReason[code] = count
        }
        try connection.prepare("""
            SELECT count(*), coalesce(sum(letters), 0), coalesce(sum(pages), 0), coalesce(sum(sheets), 0),
                   coalesce(sum(amount_cents), 0)
            FROM bundles WHERE state IN ('cut', 'delivered')
            """).firstRow { row in
                metrics.bundlesCut = StoreMetrics.Cut(letters: row.int(1), pages: row.int(2), sheets: row.int(3),
                                                      amountCents: row.int64(4))
                metrics.bundles = row.int(0)
            }
        metrics.lastCut = try connection.prepare("""
            SELECT batch, letters, coalesce(pages, 0), coalesce(sheets, 0), coalesce(amount_cents, 0), completed_at
            FROM bundles WHERE state IN ('cut', 'delivered') ORDER BY completed_at DESC, batch DESC LIMIT 1
            """).firstRow { row in
                StoreMetrics.LastCut(batch: row.text(0), completedAt: row.optionalText(5) ?? "",
                                     totals: StoreMetrics.Cut(letters: row.int(1), pages: row.int(2), sheets: row.int(3),
                                                              amountCents: row.int64(4)))
            }
        try connection.prepare("""
            SELECT count(delivered_at), coalesce(sum(attempts - (delivered_at IS NOT NULL)), 0), max(delivered_at)
            FROM deliveries
            """).firstRow { row in
                metrics.deliveries = row.int(0)
                metrics.failedDeliveryAttempts = row.int(1)
                metrics.lastDeliveredAt = row.optionalText(2)
            }
        metrics.undelivered = try connection.prepare("SELECT count(*) FROM bundles WHERE state = 'cut'")
            .firstRow { $0.int(0) } ?? 0
        return metrics
    }

    public func status(failureLimit: Int) throws -> StatusReport {
        var counts: [JobState: Int] = [:]
        for (state, count) in try connection.prepare("SELECT state, count(*) FROM jobs GROUP BY state")
            .rows([], { ($0.text(0), $0.int(1)) }) {
            if let state = JobState(rawValue: state) { counts[state] = count }
        }
        let failures = try connection.prepare("""
            SELECT \(Self.jobColumns) FROM jobs WHERE state = 'failed' ORDER BY updated_at DESC, id DESC LIMIT ?1
            """).rows([.integer(Int64(failureLimit))], Self.readJob)
        let bundles = try connection.prepare("""
            SELECT batch, state, letters, pages, amount_cents, path, created_at FROM bundles
            ORDER BY created_at DESC, batch DESC LIMIT 20
            """).rows { row in
                StatusReport.Bundle(batch: row.text(0), state: row.text(1), letters: row.int(2),
                                    pages: Int(row.optionalInt64(3) ?? 0), amountCents: row.optionalInt64(4) ?? 0,
                                    path: row.optionalText(5), createdAt: row.text(6))
            }
        return StatusReport(jobs: counts, failures: failures, bundles: bundles, deliveries: try undeliveredBundles())
    }
}
