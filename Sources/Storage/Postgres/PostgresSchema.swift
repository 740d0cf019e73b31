/// Courrier's tables in PostgreSQL, in the schema `courrier`: each version's
/// changes in order, forward only. A database of version N gets the ones
/// after N, under an advisory lock, so that workers starting together
/// upgrade it once.
///
/// Every time is a `timestamptz` written by the database's clock (`now()`),
/// never a worker's; `iso_utc` gives it to Courrier as `UTCTimestamp` writes it.
enum PostgresSchema {
    static var version: Int { migrations.count }

    /// The key of the advisory lock held while migrating.
    static let migrationLock: Int64 = 0x636f_7572_7269_6572  // "courrier"
    /// The key of the advisory lock that lets one cut open at a time.
    static let cutLock: Int64 = 0x636f_7572_7269_6563

    /// The channel a worker listens on: new letters, submissions and credits.
    static let channel = "courrier_changes"

    /// Run before any migration: the schema and the record of versions.
    static let bootstrap = """
        CREATE SCHEMA IF NOT EXISTS courrier;
        CREATE TABLE IF NOT EXISTS courrier.schema_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """

    static let migrations = [queueLedgerAndCuts, productInterface, checkedLetters, events, webhooks, printShopAnswers]

    /// What the print shop says after the hand-over: a bundle's
    /// acknowledgement, and each letter's answer (posted, spoiled,
    /// returned), found by its place in its bundle. Each response file is
    /// taken once by name and hash, each line applied once.
    private static let printShopAnswers = """
        ALTER TABLE courrier.bundles ADD COLUMN acknowledged_at timestamptz;
        ALTER TABLE courrier.bundles ADD COLUMN acknowledgement text;
        ALTER TABLE courrier.jobs ADD COLUMN sequence integer;
        ALTER TABLE courrier.jobs ADD COLUMN answer text CHECK (answer IN ('posted', 'spoiled', 'returned'));
        ALTER TABLE courrier.jobs ADD COLUMN answered_on text;
        ALTER TABLE courrier.jobs ADD COLUMN reprint_of_batch text;
        ALTER TABLE courrier.jobs ADD COLUMN reprint_of_sequence integer;
        ALTER TABLE courrier.jobs ADD COLUMN reprints integer NOT NULL DEFAULT 0;
        CREATE INDEX jobs_by_place ON courrier.jobs (batch, sequence);
        CREATE TABLE courrier.response_files (
            name text NOT NULL,
            sha256 text NOT NULL,
            taken_at timestamptz NOT NULL DEFAULT now(),
            applied integer NOT NULL,
            refused integer NOT NULL,
            PRIMARY KEY (name, sha256)
        );
        CREATE TABLE courrier.answers (
            batch text NOT NULL,
            sequence integer NOT NULL,
            status text NOT NULL,
            day text NOT NULL,
            reason text,
            job bigint NOT NULL REFERENCES courrier.jobs (id),
            file text NOT NULL,
            line integer NOT NULL,
            taken_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (batch, sequence, status, day)
        );
        CREATE TABLE courrier.address_holds (
            account text NOT NULL,
            address text NOT NULL,
            lines text NOT NULL,
            job bigint NOT NULL REFERENCES courrier.jobs (id),
            returned_on text NOT NULL,
            reason text,
            held_at timestamptz NOT NULL DEFAULT now(),
            released_at timestamptz,
            PRIMARY KEY (account, address)
        );
        CREATE TABLE courrier.printings (
            batch text NOT NULL REFERENCES courrier.bundles (batch),
            job bigint NOT NULL REFERENCES courrier.jobs (id),
            account text NOT NULL,
            sequence integer,
            sheets integer NOT NULL,
            charged_cents bigint NOT NULL,
            PRIMARY KEY (batch, job)
        );
        INSERT INTO courrier.printings (batch, job, account, sequence, sheets, charged_cents)
            SELECT batch, id, account, NULL, coalesce(sheets, 0), coalesce(price_cents, 0) FROM courrier.jobs
            WHERE batch IS NOT NULL AND state IN ('bundled', 'delivered');
        """

    /// How far each webhook endpoint has been sent the events, and its
    /// trouble: the event at its head is retried until it is acknowledged
    /// or abandoned. A claim lets one worker at a time send to an endpoint.
    private static let webhooks = """
        CREATE TABLE courrier.webhooks (
            endpoint text PRIMARY KEY,
            sent_through bigint NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            failing_since timestamptz,
            retry_at timestamptz,
            last_error text,
            abandoned integer NOT NULL DEFAULT 0,
            claimed_by text,
            claimed_until timestamptz
        );
        """

    /// The key of the advisory lock a transaction takes to append events:
    /// ids are handed out in commit order, so that a reader that has seen
    /// event N never misses an event below N committed after it.
    static let eventLock: Int64 = 0x636f_7572_7269_6576

    /// The channel each new event is announced on, with its id: the
    /// product, and `courrier events --follow`, listen on it.
    static let eventChannel = "courrier_events"

    /// Every letter's story, appended in the transaction of each change;
    /// the product reads it (its details as jsonb) and listens for it. An
    /// event is never deleted, and only its details change, when purge takes
    /// personal data out of them.
    private static let events = """
        CREATE TABLE courrier.events (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now(),
            job bigint NOT NULL REFERENCES courrier.jobs (id),
            account text NOT NULL,
            document text NOT NULL,
            kind text NOT NULL,
            details jsonb NOT NULL
        );
        CREATE INDEX events_by_job ON courrier.events (job, id);
        CREATE INDEX events_by_account ON courrier.events (account, id);
        CREATE FUNCTION courrier.refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND (NEW.id, NEW.created_at, NEW.job, NEW.account, NEW.document, NEW.kind)
                        IS NOT DISTINCT FROM (OLD.id, OLD.created_at, OLD.job, OLD.account, OLD.document, OLD.kind) THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'events are never rewritten or deleted; purge only takes personal data out of their details (% refused)', TG_OP
                    USING ERRCODE = 'restrict_violation';
            END $$;
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON courrier.events
            FOR EACH ROW EXECUTE FUNCTION courrier.refuse_event_change();
        CREATE TRIGGER events_never_truncated BEFORE TRUNCATE ON courrier.events
            FOR EACH STATEMENT EXECUTE FUNCTION courrier.refuse_event_change();
        CREATE FUNCTION courrier.notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('\(eventChannel)', NEW.id::text);
                RETURN NULL;
            END $$;
        CREATE TRIGGER events_announced AFTER INSERT ON courrier.events
            FOR EACH ROW EXECUTE FUNCTION courrier.notify_event();
        """

    /// The document as intake checked it (`Document.storedForm`), which
    /// preparation and the cut decode rather than check the JSON again.
    private static let checkedLetters = """
        ALTER TABLE courrier.jobs ADD COLUMN letter bytea;
        """

    /// The store as SQLite's schema 6 has it, with the database holding every rule.
    private static let queueLedgerAndCuts = """
        CREATE FUNCTION courrier.iso_utc(moment timestamptz) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN to_char(moment AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

        CREATE TABLE courrier.attachments (
            hash text PRIMARY KEY,
            bytes bytea NOT NULL,
            size bigint NOT NULL,
            -- Courrier's own copy, written by the isolated reader at intake.
            normalized boolean NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE courrier.bundles (
            batch text PRIMARY KEY,
            state text NOT NULL CHECK (state IN ('cutting', 'cut', 'delivered')),
            letters integer NOT NULL,
            pages integer,
            sheets integer,
            amount_cents bigint,
            path text,
            -- SHA256SUMS as the cut wrote it: a bundle rebuilt elsewhere must match it.
            checksums text,
            rebuilt integer NOT NULL DEFAULT 0,
            last_rebuilt_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            completed_at timestamptz,
            claimed_by text,
            claimed_until timestamptz,
            claimed_at timestamptz
        );

        CREATE TABLE courrier.jobs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            account text NOT NULL,
            document_id text NOT NULL,
            state text NOT NULL CHECK (state IN
                ('queued', 'awaiting_funds', 'prepared', 'bundled', 'delivered', 'failed', 'cancelled')),
            document bytea NOT NULL,
            document_hash text NOT NULL,
            terms_hash text REFERENCES courrier.attachments (hash),
            logo_hash text REFERENCES courrier.attachments (hash),
            pages integer,
            price_cents bigint,
            reason text,
            reason_code text,
            batch text REFERENCES courrier.bundles (batch),
            stream text,
            sheets integer,
            sort_key text,
            claimed_by text,
            claimed_until timestamptz,
            attempts integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (account, document_id)
        );
        CREATE INDEX jobs_by_state ON courrier.jobs (state, id);
        CREATE INDEX jobs_in_print_order ON courrier.jobs (batch, stream, sort_key, id);

        CREATE TABLE courrier.wallets (
            account text PRIMARY KEY,
            balance_cents bigint NOT NULL CHECK (balance_cents >= 0)
        );

        CREATE TABLE courrier.ledger (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            account text NOT NULL,
            kind text NOT NULL,
            amount_cents bigint NOT NULL,
            reference text UNIQUE,
            job bigint REFERENCES courrier.jobs (id),
            reverses bigint UNIQUE REFERENCES courrier.ledger (id),
            created_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((kind = 'credit' AND amount_cents > 0 AND reference IS NOT NULL)
                OR (kind = 'debit' AND amount_cents < 0 AND job IS NOT NULL)
                OR (kind = 'refund' AND amount_cents > 0 AND reverses IS NOT NULL))
        );
        CREATE UNIQUE INDEX ledger_one_debit_per_job ON courrier.ledger (job) WHERE kind = 'debit';
        CREATE INDEX ledger_by_account ON courrier.ledger (account, id);
        CREATE FUNCTION courrier.refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'ledger entries are never updated or deleted (% refused)', TG_OP
                    USING ERRCODE = 'restrict_violation';
            END $$;
        CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON courrier.ledger
            FOR EACH ROW EXECUTE FUNCTION courrier.refuse_ledger_change();
        CREATE TRIGGER ledger_never_truncated BEFORE TRUNCATE ON courrier.ledger
            FOR EACH STATEMENT EXECUTE FUNCTION courrier.refuse_ledger_change();

        CREATE TABLE courrier.deliveries (
            batch text PRIMARY KEY REFERENCES courrier.bundles (batch),
            destination text,
            attempts integer NOT NULL DEFAULT 0,
            last_error text,
            last_attempt_at timestamptz,
            retry_at timestamptz,
            delivered_at timestamptz,
            claimed_by text,
            claimed_until timestamptz
        );

        CREATE TABLE courrier.accounts (
            account text PRIMARY KEY,
            envelope_window text CHECK (envelope_window IN ('right', 'left')),
            updated_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE courrier.cut_slots (
            slot text PRIMARY KEY,
            batch text REFERENCES courrier.bundles (batch),
            worker text NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now()
        );

        -- Workers listen: a letter queued or a wallet credited wakes them.
        CREATE FUNCTION courrier.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('\(channel)', TG_TABLE_NAME);
                RETURN NULL;
            END $$;
        CREATE TRIGGER jobs_queued AFTER INSERT OR UPDATE OF state ON courrier.jobs
            FOR EACH STATEMENT EXECUTE FUNCTION courrier.notify_change();
        CREATE TRIGGER ledger_credited AFTER INSERT ON courrier.ledger
            FOR EACH STATEMENT EXECUTE FUNCTION courrier.notify_change();
        """

    /// What the invoicing product uses without the command line: a table it
    /// inserts documents into in its own transaction, and views it reads.
    private static let productInterface = """
        CREATE TABLE courrier.submissions (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            account text NOT NULL,
            document_id text NOT NULL,
            -- The document's JSON, as `courrier enqueue` reads it from a file.
            document text NOT NULL,
            -- The terms PDF and logo PNG the document's `terms.pdf` and `logo.png` name.
            terms bytea,
            logo bytea,
            submitted_at timestamptz NOT NULL DEFAULT now(),
            claimed_by text,
            claimed_until timestamptz
        );
        CREATE TRIGGER submissions_inserted AFTER INSERT ON courrier.submissions
            FOR EACH STATEMENT EXECUTE FUNCTION courrier.notify_change();

        CREATE VIEW courrier.wallet_balances AS
            SELECT w.account, w.balance_cents,
                   (SELECT count(*) FROM courrier.jobs j
                    WHERE j.account = w.account AND j.state = 'awaiting_funds') AS letters_awaiting_funds,
                   (SELECT coalesce(sum(j.price_cents), 0) FROM courrier.jobs j
                    WHERE j.account = w.account AND j.state = 'awaiting_funds') AS cents_awaiting_funds
            FROM courrier.wallets w;

        CREATE VIEW courrier.letters AS
            SELECT j.id AS job, j.account, j.document_id, j.state, j.reason, j.reason_code AS failure,
                   j.pages, j.price_cents, j.batch AS bundle,
                   j.created_at AS queued_at, b.completed_at AS bundled_at,
                   CASE WHEN j.state = 'delivered' THEN d.delivered_at END AS mailed_at,
                   j.updated_at
            FROM courrier.jobs j
            LEFT JOIN courrier.bundles b ON b.batch = j.batch
            LEFT JOIN courrier.deliveries d ON d.batch = j.batch
            UNION ALL
            SELECT NULL, s.account, s.document_id, 'submitted', NULL, NULL, NULL, NULL, NULL,
                   s.submitted_at, NULL, NULL, s.submitted_at
            FROM courrier.submissions s;
        """
}
