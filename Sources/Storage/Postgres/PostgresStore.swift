import Foundation
import Letters

/// The shared store: one PostgreSQL database that workers on several machines
/// use together. The database holds every rule (claims that skip locked rows,
/// leases on its own clock, one debit per job, no negative balance, a ledger
/// that is only appended to), so a worker that lost its claim can change nothing.
///
/// Times given to its methods (`at now`) are not used for what it records:
/// workers' clocks differ, the database's `now()` does not.
public final class PostgresStore: SQLStore {
    let connection: PostgresConnection
    /// The connection, as the rules written once in `Shared/` use it.
    var database: SQLDatabase { connection }
    private var listening = false

    /// The schema this build writes.
    public static var schemaVersion: Int { PostgresSchema.version }

    /// Connects to `url` and brings the schema up to this build's version.
    public convenience init(url: String) throws {
        try self.init(url: url, migrate: true)
    }

    /// Connects to read only: the schema must be this build's, and nothing is upgraded.
    public convenience init(readingURL url: String) throws {
        try self.init(url: url, migrate: false)
    }

    private init(url: String, migrate: Bool) throws {
        if let problem = PostgresLocation.problem(url) {
            throw StoreError(.location, "the PostgreSQL URL \(PostgresLocation.redacted(url)) \(problem)")
        }
        connection = try PostgresConnection(url: url)
        do {
            if migrate { try self.migrate() }
            let version = try storedVersion()
            guard version == Self.schemaVersion else {
                throw StoreError(.schemaVersion, version < Self.schemaVersion
                    ? "the database \(connection.location) has Courrier's schema version \(version), older than this Courrier's \(Self.schemaVersion); a verb that writes (run, enqueue) upgrades it"
                    : "the database \(connection.location) has Courrier's schema version \(version); this Courrier knows \(Self.schemaVersion) at most, upgrade Courrier")
            }
            try connection.keep("SET search_path TO courrier")
        } catch {
            connection.close()
            throw error
        }
    }

    public func close() {
        connection.close()
    }

    private func storedVersion() throws -> Int {
        let exists = try connection.firstRow("SELECT to_regclass('courrier.schema_migrations') IS NOT NULL") { $0.bool(0) }
        guard exists == true else { return 0 }
        return try connection.firstRow("SELECT coalesce(max(version), 0) FROM courrier.schema_migrations") { $0.int(0) } ?? 0
    }

    /// Applies the versions this database lacks, in one transaction, under an
    /// advisory lock: a second worker starting meanwhile waits, then finds
    /// the work done.
    private func migrate() throws {
        try connection.transaction {
            try connection.run("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresSchema.migrationLock)])
            try connection.execute(PostgresSchema.bootstrap)
            let version = try storedVersion()
            guard version < Self.schemaVersion else { return }
            for (offset, migration) in PostgresSchema.migrations.enumerated().dropFirst(version) {
                try connection.execute(migration)
                try connection.run("INSERT INTO courrier.schema_migrations (version) VALUES ($1)", [.integer(Int64(offset + 1))])
            }
        }
    }

    /// Counts the notifications of new letters, submissions and credits
    /// (LISTEN/NOTIFY): a worker looks at it between rounds without a query.
    public func changeCounter() throws -> Int64 {
        if !listening {
            try connection.listen(PostgresSchema.channel)
            listening = true
        }
        try connection.takeNotifications()
        return connection.notifications
    }

    /// An advisory lock for the rest of the transaction: workers opening a cut at once take turns.
    func takeCutLock() throws {
        try connection.run("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresSchema.cutLock)])
    }

    /// An advisory lock for the rest of the transaction, taken just before its
    /// events are appended: a reader that saw event N never misses one below it.
    func takeEventLock() throws {
        try connection.run("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresSchema.eventLock)])
    }
}
