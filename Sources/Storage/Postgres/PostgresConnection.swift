import CPostgres
import Foundation

/// A value sent as a statement's parameter.
enum PostgresValue {
    case integer(Int64)
    case text(String)
    case bytes([UInt8])
    case null
}

/// One connection to a PostgreSQL server, through libpq.
///
/// Not `Sendable`: a connection belongs to one thread at a time. `close()` must
/// be called; `deinit` only checks that it was.
final class PostgresConnection {
    private var handle: OpaquePointer?
    private let url: String
    /// The URL without its password, for messages.
    let location: String
    /// Statements prepared on this connection, by their SQL.
    private var prepared: [String: String] = [:]
    /// Notifications received so far, for `changeCounter`.
    private(set) var notifications: Int64 = 0
    /// What each session runs first (UTC, so that times are written and
    /// compared in UTC whatever the server's zone; the search path; LISTEN):
    /// run again on a connection opened again.
    private var sessionSetup: [String] = ["SET TIME ZONE 'UTC'"]
    /// Whether a transaction is open: statements inside it are run again
    /// only with all of it.
    private var inTransaction = false

    /// Connects to `url` (`postgres://USER@HOST:PORT/DB?…`, as libpq reads it).
    init(url: String) throws {
        self.url = url
        location = PostgresLocation.redacted(url)
        try open()
    }

    private func open() throws {
        guard let handle = PQconnectdb(url) else {
            throw StoreError(.unavailable, "cannot connect to \(location): libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.message(PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError(state: "08001", message: "cannot connect to \(location): \(message)", sql: "", location: location)
        }
        self.handle = handle
        courrier_pq_silence_notices(handle)
        prepared = [:]
        do {
            // Once, not through the runner: opening is itself what the runner retries.
            for statement in sessionSetup { try executeOnce(statement) }
        } catch {
            close()
            throw error
        }
    }

    /// Opens the connection again after it was lost.
    private func reopen() throws {
        close()
        try open()
    }

    /// Runs `statement` now and on every connection opened again later.
    func keep(_ statement: String) throws {
        try execute(statement)
        sessionSetup.append(statement)
    }

    deinit {
        assert(handle == nil, "PostgresConnection to \(location) was not closed")
    }

    func close() {
        guard let handle else { return }
        PQfinish(handle)
        self.handle = nil
    }

    /// Runs `body` alone (outside a transaction) through the runner, so that a
    /// statement of its own is tried again as a transaction would be.
    private func guarded<T>(_ body: () throws -> T) throws -> T {
        guard !inTransaction else { return try body() }
        return try TransactionRunner.run(classify: classify, reconnect: reopen, body)
    }

    /// Whether an error passes: SQLSTATE classes 40 (a lost race), 55P03 (a
    /// lock not available), 57P (the server shutting down), 08 and 53300
    /// (connections), and any error that left the connection broken.
    private func classify(_ error: Error) -> Transience {
        guard let error = error as? PostgresError else { return .permanent }
        if handle.map({ PQstatus($0) != CONNECTION_OK }) ?? true { return .connection }
        switch error.state {
        case "40001", "40P01", "55P03": return .race
        case "57P01", "57P02", "57P03", "53300": return .connection
        case let state where state.hasPrefix("08"): return .connection
        default: return .permanent
        }
    }

    private func connection() throws -> OpaquePointer {
        // A connection lost and not yet opened again.
        guard let handle else {
            throw PostgresError(state: "08003", message: "no connection to \(location)", sql: "", location: location)
        }
        return handle
    }

    /// Runs statements that return no rows (several, separated by `;`, may be given).
    func execute(_ sql: String) throws {
        try guarded { try executeOnce(sql) }
    }

    private func executeOnce(_ sql: String) throws {
        let result = PQexec(try connection(), sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Runs one statement with `values` as $1, $2, …, and reads each row with `read`.
    /// Each statement is prepared once per connection.
    func rows<T>(_ sql: String, _ values: [PostgresValue] = [], _ read: (PostgresRow) throws -> T) throws -> [T] {
        try guarded {
            let result = try result(sql, values)
            defer { PQclear(result) }
            let row = PostgresRow(result: result)
            return try (0..<PQntuples(result)).map { index in
                row.index = index
                return try read(row)
            }
        }
    }

    func firstRow<T>(_ sql: String, _ values: [PostgresValue] = [], _ read: (PostgresRow) throws -> T) throws -> T? {
        try rows(sql, values, read).first
    }

    /// Runs one statement and returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [PostgresValue] = []) throws -> Int {
        try guarded {
            let result = try result(sql, values)
            defer { PQclear(result) }
            return Int(String(cString: PQcmdTuples(result))) ?? 0
        }
    }

    private func result(_ sql: String, _ values: [PostgresValue]) throws -> OpaquePointer? {
        let name: String
        if let known = prepared[sql] {
            name = known
        } else {
            name = "courrier_\(prepared.count + 1)"
            let result = PQprepare(try connection(), name, sql, Int32(values.count), nil)
            defer { PQclear(result) }
            try check(result, sql: sql)
            prepared[sql] = name
        }
        // libpq reads text up to its first NUL: text holding one would be
        // stored cut short, so it is refused (SQLite stores it whole).
        for case .text(let text) in values where text.utf8.contains(0) {
            throw StoreError(.unstorable, "a value holds a NUL character, which PostgreSQL text cannot store (\(location))")
        }
        // Text for everything but bytes, which go as they are (format 1): a
        // 16 MiB document is not escaped into 32 MiB of hex on the way.
        let buffers: [[UInt8]?] = values.map {
            switch $0 {
            case .integer(let number): return Array(String(number).utf8) + [0]
            case .text(let text): return Array(text.utf8) + [0]
            case .bytes(let bytes): return bytes
            case .null: return nil
            }
        }
        let lengths = values.map { value -> Int32 in
            if case .bytes(let bytes) = value { return Int32(bytes.count) }
            return 0
        }
        let formats = values.map { value -> Int32 in
            if case .bytes = value { return 1 }
            return 0
        }
        let handle = try connection()
        let result = withPointers(to: buffers) { pointers in
            PQexecPrepared(handle, name, Int32(values.count), pointers, lengths, formats, 0)
        }
        do {
            try check(result, sql: sql)
        } catch {
            PQclear(result)
            throw error
        }
        return result
    }

    /// Runs `body` in a transaction; rolls back when it throws. The
    /// transaction's `now()` is the database's clock for everything it writes.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try transaction(beginning: "BEGIN", body)
    }

    /// A transaction that must survive the process being killed but not a
    /// crash of the database's machine: committed without waiting for the WAL
    /// to reach the disk (`synchronous_commit = off`), as SQLite's
    /// `lightWriteTransaction` does. For claims and attempts, never for money.
    /// Reads in one snapshot, writing nothing.
    func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try transaction(beginning: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    func lightTransaction<T>(_ body: () throws -> T) throws -> T {
        // One round trip for both: on a busy machine each costs more than the statement.
        try transaction(beginning: "BEGIN; SET LOCAL synchronous_commit = off", body)
    }

    /// The whole transaction goes through the runner: a lost race or a lost
    /// connection runs `body` again from its start. A transaction inside
    /// another is part of it.
    private func transaction<T>(beginning begin: String, _ body: () throws -> T) throws -> T {
        guard !inTransaction else { return try body() }
        return try TransactionRunner.run(classify: classify, reconnect: reopen) {
            inTransaction = true
            defer { inTransaction = false }
            return try TransactionRunner.attempt(begin: begin, execute: execute, body)
        }
    }

    /// Starts listening on `channel`; each notification then counts once.
    func listen(_ channel: String) throws {
        try keep("LISTEN \(channel)")
    }

    /// Reads what the server sent since the last look, without waiting, and
    /// counts the notifications among it. A connection found lost is opened
    /// again once, without waiting: the next statement waits if need be.
    func takeNotifications() throws {
        guard let handle, PQconsumeInput(handle) == 1 else {
            let reason = handle.map { Self.message(PQerrorMessage($0)) } ?? "not connected"
            try? reopen()
            throw StoreError(.unavailable, "the connection to \(location) was lost: \(reason)")
        }
        while let notification = PQnotifies(handle) {
            notifications += 1
            PQfreemem(notification)
        }
    }

    private func check(_ result: OpaquePointer?, sql: String) throws {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
            let message = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) }
                ?? (handle.map { Self.message(PQerrorMessage($0)) } ?? "no connection")
            throw PostgresError(state: state ?? "", message: message, sql: sql, location: location)
        }
    }

    private static func message(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "no message"
    }
}

/// Lends `buffers` to C as an array of pointers, nil for SQL NULL.
private func withPointers<R>(to buffers: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafePointer<CChar>?] = []
    var retained: [UnsafeMutableRawPointer] = []
    defer { retained.forEach { $0.deallocate() } }
    for buffer in buffers {
        guard let buffer else {
            pointers.append(nil)
            continue
        }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(buffer.count, 1), alignment: 1)
        buffer.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { memory.copyMemory(from: base, byteCount: bytes.count) }
        }
        retained.append(memory)
        pointers.append(UnsafePointer(memory.assumingMemoryBound(to: CChar.self)))
    }
    return body(pointers)
}

/// One row of a result, read by column number; valid while its result is.
final class PostgresRow {
    private let result: OpaquePointer?
    fileprivate(set) var index: Int32 = 0

    fileprivate init(result: OpaquePointer?) {
        self.result = result
    }

    func isNull(_ column: Int32) -> Bool { PQgetisnull(result, index, column) == 1 }

    func optionalText(_ column: Int32) -> String? {
        guard !isNull(column), let value = PQgetvalue(result, index, column) else { return nil }
        return String(cString: value)
    }

    func text(_ column: Int32) -> String { optionalText(column) ?? "" }

    func optionalInt64(_ column: Int32) -> Int64? { optionalText(column).flatMap { Int64($0) } }
    func int64(_ column: Int32) -> Int64 { optionalInt64(column) ?? 0 }
    func int(_ column: Int32) -> Int { Int(int64(column)) }
    func bool(_ column: Int32) -> Bool { optionalText(column) == "t" }

    /// A bytea column, sent as text (`\x` and hex) and decoded by libpq.
    func bytes(_ column: Int32) -> [UInt8] {
        guard !isNull(column), let value = PQgetvalue(result, index, column) else { return [] }
        var length = 0
        guard let decoded = value.withMemoryRebound(to: UInt8.self, capacity: 1, { PQunescapeBytea($0, &length) }) else {
            return []
        }
        defer { PQfreemem(decoded) }
        return [UInt8](UnsafeBufferPointer(start: decoded, count: length))
    }
}

/// An error PostgreSQL reported, with its SQLSTATE and the statement.
struct PostgresError: Error, CustomStringConvertible {
    var state: String
    var message: String
    var sql: String
    var location: String

    /// SQLSTATE 40001 and 40P01: the transaction lost a race and may simply be run again.
    var isSerializationFailure: Bool { state == "40001" || state == "40P01" }

    var description: String {
        "\(message) (SQLSTATE \(state), \(location))"
    }
}

/// What a `postgres://` URL names, and what may be said of it.
public enum PostgresLocation {
    /// True for the URLs libpq reads: `postgres://` and `postgresql://`.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// The URL with any password replaced by `***`, for logs and errors.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "the PostgreSQL URL given" }
        if components.password != nil { components.password = "***" }
        components.queryItems = components.queryItems?.map {
            $0.name == "password" ? URLQueryItem(name: $0.name, value: "***") : $0
        }
        return components.string ?? "the PostgreSQL URL given"
    }

    /// Why a URL must not be used as given, or nil: a password written in it
    /// would show in `ps`, in shell history and in the unit file.
    public static func problem(_ url: String) -> String? {
        guard let components = URLComponents(string: url) else {
            return "is not a URL libpq can read (postgres://USER@HOST:PORT/DATABASE)"
        }
        if components.password != nil || components.queryItems?.contains(where: { $0.name == "password" }) == true {
            return "holds a password; put it in a password file (PGPASSFILE, or ?passfile=PATH in the URL) instead"
        }
        return nil
    }
}
