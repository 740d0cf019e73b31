import CSQLite
import Foundation

/// One connection to an SQLite database file.
///
/// Not `Sendable`: a connection belongs to one thread at a time. `close()` must
/// be called; `deinit` only checks that it was.
final class SQLiteConnection {
    private var handle: OpaquePointer?
    let path: String

    /// Opens (and creates) `path` in WAL mode, with a busy timeout so that a
    /// second process waits for the lock instead of failing at once.
    /// `readOnly` opens a store that exists, never creates one, and writes nothing.
    init(path: String, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        self.path = path
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            throw SQLiteError(code: status, message: "\(message) (\(path))", sql: nil)
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        do {
            if !readOnly { try execute("PRAGMA journal_mode = WAL") }
            // FULL: a commit that recorded a charge survives a power cut, not just a crash.
            try execute("PRAGMA synchronous = FULL")
            try execute("PRAGMA foreign_keys = ON")
        } catch {
            close()
            throw error
        }
    }

    deinit {
        assert(handle == nil, "SQLiteConnection to \(path) was not closed")
    }

    func close() {
        guard let handle else { return }
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    var database: OpaquePointer {
        guard let handle else { preconditionFailure("SQLiteConnection to \(path) used after close()") }
        return handle
    }

    /// Runs statements that return no rows.
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(database, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(database))
            sqlite3_free(message)
            throw SQLiteError(code: status, message: text, sql: sql)
        }
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    /// Runs `body` in a transaction that takes the write lock at once
    /// (`BEGIN IMMEDIATE`): two writers never both read a balance and then
    /// both spend it. Rolls back when `body` throws.
    func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        guard !inTransaction else { return try body() }
        // Busy or locked after the busy timeout (another process held the
        // write lock that long): the whole transaction is run again.
        return try TransactionRunner.run(classify: Self.classify, reconnect: {}) {
            // Threads of this process wait their turn here rather than in SQLite's
            // busy handler, which sleeps in steps of up to 100 ms; other processes
            // still meet the busy timeout.
            Self.writers.lock()
            defer { Self.writers.unlock() }
            inTransaction = true
            defer { inTransaction = false }
            return try TransactionRunner.attempt(begin: "BEGIN IMMEDIATE", execute: execute, body)
        }
    }

    /// Whether a write transaction is open on this connection.
    private var inTransaction = false

    /// SQLITE_BUSY and SQLITE_LOCKED, with their extended codes, pass.
    private static func classify(_ error: Error) -> Transience {
        guard let error = error as? SQLiteError else { return .permanent }
        let primary = error.code & 0xFF
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? .race : .permanent
    }

    /// A write that must survive the process being killed but not a power
    /// cut: committed to the WAL without waiting for the disk (synchronous =
    /// NORMAL), a fraction of a millisecond instead of a sync.
    /// Reads in one snapshot (WAL keeps it while writers go on); works on a
    /// connection opened to read only.
    func readTransaction<T>(_ body: () throws -> T) throws -> T {
        guard !inTransaction else { return try body() }
        return try TransactionRunner.run(classify: Self.classify, reconnect: {}) {
            inTransaction = true
            defer { inTransaction = false }
            return try TransactionRunner.attempt(begin: "BEGIN", execute: execute, body)
        }
    }

    func lightWriteTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("PRAGMA synchronous = NORMAL")
        defer { try? execute("PRAGMA synchronous = FULL") }
        return try writeTransaction(body)
    }

    /// One writer at a time among this process's connections.
    private static let writers = NSRecursiveLock()

    /// The rowid of the last row inserted on this connection.
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(database) }

    func error(_ status: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: status, message: String(cString: sqlite3_errmsg(database)), sql: sql, path: path)
    }
}
