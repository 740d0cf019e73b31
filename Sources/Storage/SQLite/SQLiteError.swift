import CSQLite

/// An SQLite call that failed: its result code, SQLite's message, and the
/// statement it was running.
public struct SQLiteError: Error, CustomStringConvertible {
    public var code: Int32
    public var message: String
    public var sql: String?

    public var description: String {
        let codeName = String(cString: sqlite3_errstr(code))
        return "SQLite error \(code) (\(codeName)): \(message)" + (sql.map { " in `\($0)`" } ?? "")
    }
}
