import Foundation

/// Where the store is: an SQLite file, or a PostgreSQL database by its URL.
public enum StoreLocation {
    /// Opens the store at `location`: a `postgres://` (or `postgresql://`)
    /// URL, or the path of an SQLite file. `readOnly`: it must exist and is
    /// neither created nor upgraded.
    public static func open(_ location: String, readOnly: Bool = false) throws -> LetterStore {
        if PostgresLocation.isURL(location) {
            return readOnly ? try PostgresStore(readingURL: location) : try PostgresStore(url: location)
        }
        return readOnly ? try SQLiteStore(readingPath: location) : try SQLiteStore(path: location)
    }

    /// The location as it may be shown: a URL without its password.
    public static func display(_ location: String) -> String {
        PostgresLocation.isURL(location) ? PostgresLocation.redacted(location) : location
    }
}
