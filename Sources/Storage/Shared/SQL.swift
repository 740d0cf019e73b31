import CSQLite
import Foundation
import Letters

/// A value bound to a statement's parameter, on either backend.
enum SQLValue {
    case integer(Int64)
    case text(String)
    case bytes([UInt8])
    case null

    static func optional(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
}

/// What differs between the backends in a statement written once: how a
/// parameter is written, and whose clock a time is read from.
enum SQLDialect {
    /// `?1`; times are the caller's (`at now`), as text.
    case sqlite
    /// `$1`; times are the database's own (`now()`), never a worker's.
    case postgres

    /// Whether the store has the product's `submissions` table (PostgreSQL's
    /// only: on SQLite the product queues through `courrier enqueue`).
    var hasSubmissions: Bool { self == .postgres }
}

/// A statement written once for both stores, with its values in place, as
/// string interpolation: `"… WHERE batch = \(batch)"` binds a parameter,
/// `\(now: date)` is the time now on the store's clock, `\(now: date, plus:
/// seconds)` a lease's end, `\(time: "column")` a time column read back as
/// `UTCTimestamp` text, `\(forUpdate)` a row lock where the backend needs one.
struct SQL: ExpressibleByStringInterpolation {
    fileprivate enum Piece {
        case text(String)
        case value(SQLValue)
        case boolean(Bool)
        case now(Date, plus: TimeInterval)
        case moment(Date)
        case time(String)
        case forUpdate
        case skipLocked
        case bytewise
        case jobColumns
        case printOrder
        case detailsWithout(String)
        case json(String)
    }

    fileprivate var pieces: [Piece] = []

    init(stringLiteral value: String) {
        pieces = [.text(value)]
    }

    init(stringInterpolation: StringInterpolation) {
        pieces = stringInterpolation.pieces
    }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var pieces: [Piece] = []

        init(literalCapacity: Int, interpolationCount: Int) {}

        mutating func appendLiteral(_ literal: String) { pieces.append(.text(literal)) }
        mutating func appendInterpolation(_ value: SQLValue) { pieces.append(.value(value)) }
        mutating func appendInterpolation(_ text: String) { pieces.append(.value(.text(text))) }
        mutating func appendInterpolation(_ text: String?) { pieces.append(.value(.optional(text))) }
        mutating func appendInterpolation(_ number: Int64) { pieces.append(.value(.integer(number))) }
        mutating func appendInterpolation(_ number: Int) { pieces.append(.value(.integer(Int64(number)))) }
        mutating func appendInterpolation(_ number: Int?) { pieces.append(.value(number.map { .integer(Int64($0)) } ?? .null)) }
        /// A failure's code, as `reason_code` holds it.
        mutating func appendInterpolation(_ code: FailureCode?) { pieces.append(.value(.optional(code?.rawValue))) }
        /// A boolean column's value: `1` or `0` on SQLite, `true` or `false` on PostgreSQL.
        mutating func appendInterpolation(_ flag: Bool) { pieces.append(.boolean(flag)) }
        /// Values separated by commas, for `IN (…)`.
        mutating func appendInterpolation(list numbers: [Int64]) {
            for (index, number) in numbers.enumerated() {
                if index > 0 { pieces.append(.text(", ")) }
                pieces.append(.value(.integer(number)))
            }
        }
        /// The time now: the caller's on SQLite, the database's on PostgreSQL.
        mutating func appendInterpolation(now: Date, plus seconds: TimeInterval = 0) {
            pieces.append(.now(now, plus: seconds))
        }
        /// A given time (not now), to compare time columns with.
        mutating func appendInterpolation(moment: Date) { pieces.append(.moment(moment)) }
        /// A time column as `UTCTimestamp` text.
        mutating func appendInterpolation(time column: String) { pieces.append(.time(column)) }
        /// `FOR UPDATE` where the backend locks rows so (SQLite locks the file).
        mutating func appendInterpolation(_ lock: RowLock) {
            pieces.append(lock == .forUpdate ? .forUpdate : .skipLocked)
        }
        /// Text compared byte by byte, whatever the database's collation.
        mutating func appendInterpolation(_ collation: Collation) { pieces.append(.bytewise) }
        /// The columns `Job.read` reads, its times as `UTCTimestamp` text.
        mutating func appendInterpolation(_ columns: Columns) {
            pieces.append(columns == .job ? .jobColumns : .printOrder)
        }
        /// JSON text bound as the backend holds it: text on SQLite, jsonb on PostgreSQL.
        mutating func appendInterpolation(json text: String) { pieces.append(.json(text)) }
        /// An event's details without `key`: what purge leaves of them.
        mutating func appendInterpolation(detailsWithout key: String) { pieces.append(.detailsWithout(key)) }
        /// Another statement's text and values, in place.
        mutating func appendInterpolation(_ fragment: SQL) { pieces += fragment.pieces }
    }

    /// `VALUES (…), (…)`: rows of values for one statement, to do in one
    /// round trip what would take one a row. Each row's values are typed
    /// (a `CAST`), since PostgreSQL takes an untyped value in `VALUES` for text.
    static func values(_ rows: [[SQL]]) -> SQL {
        var list: SQL = "VALUES "
        for (index, row) in rows.enumerated() {
            var tuple: SQL = index == 0 ? "(" : ", ("
            for (column, value) in row.enumerated() {
                tuple = column == 0 ? "\(tuple)\(value)" : "\(tuple), \(value)"
            }
            list = "\(list)\(tuple))"
        }
        return list
    }

    /// The most rows one statement of `values` carries: statements are
    /// prepared once per text, so the sizes a connection sees stay few.
    static let rowsPerStatement = 100

    enum RowLock {
        case forUpdate
        /// `FOR UPDATE SKIP LOCKED`: rows another transaction holds are passed over.
        case skipLocked
    }
    enum Collation { case bytewise }
    enum Columns {
        case job
        /// A letter's place in print order, `sort_key` compared byte by byte,
        /// as the index `jobs_in_print_order` holds it.
        case printOrder
    }

    /// The text and the values in the dialect's words.
    func rendered(for dialect: SQLDialect) -> (text: String, values: [SQLValue]) {
        var text = ""
        var values: [SQLValue] = []
        func bind(_ value: SQLValue) {
            values.append(value)
            text += dialect == .sqlite ? "?\(values.count)" : "$\(values.count)"
        }
        for piece in pieces {
            switch piece {
            case .text(let literal): text += literal
            case .value(let value): bind(value)
            case .boolean(let flag): text += dialect == .sqlite ? (flag ? "1" : "0") : (flag ? "true" : "false")
            case .now(let date, let seconds):
                switch dialect {
                case .sqlite:
                    // In whole seconds, as every time the store writes (and compares).
                    bind(.text(storeTimestamp(date.addingTimeInterval(seconds))))
                case .postgres:
                    // Whole seconds, rounded up: a lease or a wait never ends early.
                    text += seconds == 0 ? "now()" : "(now() + "
                    if seconds != 0 {
                        bind(.integer(Int64(seconds.rounded(.up))))
                        text += " * interval '1 second')"
                    }
                }
            case .moment(let date):
                switch dialect {
                case .sqlite: bind(.text(storeTimestamp(date)))
                case .postgres:
                    text += "to_timestamp("
                    bind(.integer(Int64(date.timeIntervalSince1970)))
                    text += ")"
                }
            case .time(let column): text += dialect == .sqlite ? column : "iso_utc(\(column))"
            case .forUpdate: text += dialect == .sqlite ? "" : "FOR UPDATE"
            case .skipLocked: text += dialect == .sqlite ? "" : "FOR UPDATE SKIP LOCKED"
            case .bytewise: text += dialect == .sqlite ? "" : "COLLATE \"C\""
            case .jobColumns: text += dialect == .sqlite ? Job.columns() : Job.columns { "iso_utc(\($0))" }
            case .printOrder: text += dialect == .sqlite ? "sort_key" : "coalesce(sort_key, '') COLLATE \"C\""
            case .json(let value):
                bind(.text(value))
                if dialect == .postgres { text += "::jsonb" }
            case .detailsWithout(let key):
                switch dialect {
                case .sqlite:
                    text += "json_remove(details, "
                    bind(.text("$." + key))
                    text += ")"
                case .postgres:
                    text += "(details - "
                    bind(.text(key))
                    text += "::text)"
                }
            }
        }
        return (text, values)
    }
}

/// A store whose rules are written once, in `Shared/`, over its backend's
/// connection; each backend keeps its schema and migrations.
protocol SQLStore: LetterStore {
    var database: SQLDatabase { get }
    /// Makes workers opening a cut at the same moment take turns, for the
    /// rest of the transaction (SQLite's write lock does it already).
    func takeCutLock() throws
    /// Makes transactions appending events take turns from there to their
    /// commit, so that event ids are handed out in commit order (SQLite's
    /// one writer does it already).
    func takeEventLock() throws
}

/// What the store written once asks of a backend's connection. Every
/// transaction goes through `TransactionRunner`.
protocol SQLDatabase: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs `sql` and reads each row.
    func query<T>(_ sql: SQL, _ read: (any StoreRow) throws -> T) throws -> [T]
    /// Runs `sql`; the rows it changed.
    @discardableResult func perform(_ sql: SQL) throws -> Int
    /// Runs `body` in a transaction that writes: run again whole when it fails
    /// for a reason that passes.
    @discardableResult func write<T>(_ body: () throws -> T) throws -> T
    /// Runs `body`, which only reads, in one snapshot of the store: several
    /// statements that must agree (a reconciliation and the ledger's sums).
    func read<T>(_ body: () throws -> T) throws -> T
    /// A write that must survive the process being killed but not a crash of
    /// the database's machine: committed without waiting for the disk. For
    /// claims and attempts, never for money.
    @discardableResult func lightWrite<T>(_ body: () throws -> T) throws -> T
    /// Runs `body` (which writes) so that what it deletes or overwrites
    /// leaves nothing readable behind in the database's files.
    func forgetting<T>(_ body: () throws -> T) throws -> T
}

extension SQLDatabase {
    func queryFirst<T>(_ sql: SQL, _ read: (any StoreRow) throws -> T) throws -> T? {
        try query(sql, read).first
    }
}

extension SQLiteConnection: SQLDatabase {
    var dialect: SQLDialect { .sqlite }

    func query<T>(_ sql: SQL, _ read: (any StoreRow) throws -> T) throws -> [T] {
        let (text, values) = sql.rendered(for: .sqlite)
        return try prepare(text).rows(values.map(SQLiteValue.init)) { try read($0) }
    }

    func perform(_ sql: SQL) throws -> Int {
        let (text, values) = sql.rendered(for: .sqlite)
        try prepare(text).run(values.map(SQLiteValue.init))
        return Int(sqlite3_changes(database))
    }

    func write<T>(_ body: () throws -> T) throws -> T { try writeTransaction(body) }
    func read<T>(_ body: () throws -> T) throws -> T { try readTransaction(body) }
    func lightWrite<T>(_ body: () throws -> T) throws -> T { try lightWriteTransaction(body) }

    /// Deleted and overwritten content is zeroed in the file, not left in
    /// free pages, and nothing of the old pages stays in the write-ahead log.
    func forgetting<T>(_ body: () throws -> T) throws -> T {
        try execute("PRAGMA secure_delete = ON")
        defer { try? execute("PRAGMA secure_delete = OFF") }
        let result = try body()
        try execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return result
    }
}

extension SQLiteValue {
    init(_ value: SQLValue) {
        switch value {
        case .integer(let number): self = .integer(number)
        case .text(let text): self = .text(text)
        case .bytes(let bytes): self = .blob(bytes)
        case .null: self = .null
        }
    }
}

extension PostgresConnection: SQLDatabase {
    var dialect: SQLDialect { .postgres }

    func query<T>(_ sql: SQL, _ read: (any StoreRow) throws -> T) throws -> [T] {
        let (text, values) = sql.rendered(for: .postgres)
        return try rows(text, values.map(PostgresValue.init)) { try read($0) }
    }

    func perform(_ sql: SQL) throws -> Int {
        let (text, values) = sql.rendered(for: .postgres)
        return try run(text, values.map(PostgresValue.init))
    }

    func write<T>(_ body: () throws -> T) throws -> T { try transaction(body) }
    func read<T>(_ body: () throws -> T) throws -> T { try readTransaction(body) }
    func lightWrite<T>(_ body: () throws -> T) throws -> T { try lightTransaction(body) }

    /// Dead rows are reclaimed by the server's vacuum, an administrator's concern.
    func forgetting<T>(_ body: () throws -> T) throws -> T { try body() }
}

extension PostgresValue {
    init(_ value: SQLValue) {
        switch value {
        case .integer(let number): self = .integer(number)
        case .text(let text): self = .text(text)
        case .bytes(let bytes): self = .bytes(bytes)
        case .null: self = .null
        }
    }
}
