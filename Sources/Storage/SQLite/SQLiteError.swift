import CSQLite

/// An SQLite call that failed: its result code, SQLite's message, and the
/// statement it was running.
public struct SQLiteError: Error, CustomStringConvertible {
    public var code: Int32
    public var message: String
    public var sql: String?
    /// The database file, so that a full disk or a lost permission names it.
    public var path: String?

    public init(code: Int32, message: String, sql: String?, path: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
        self.path = path
    }

    public var description: String {
        let codeName = String(cString: sqlite3_errstr(code))
        return "SQLite error \(code) (\(codeName)) on \(path ?? "the store"): \(message)" + (sql.map { " in `\($0)`" } ?? "")
    }
}
