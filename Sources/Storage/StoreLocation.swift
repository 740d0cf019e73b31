import Foundation

/// Where the store is: an SQLite file, or a PostgreSQL database by its URL.
public enum StoreLocation {
    /// Opens the store at `location`: a `postgres://` (or `postgresql://`)
    /// URL, or the path of an SQLite file. `readOnly`: it must exist and is
    /// neither created nor upgraded.
    /// What goes wrong is a `StoreError`; the database's own error, when
    /// it has one, is in its message.
    public static func open(_ location: String, readOnly: Bool = false) throws(StoreError) -> LetterStore {
        do {
            if PostgresLocation.isURL(location) {
                return readOnly ? try PostgresStore(readingURL: location) : try PostgresStore(url: location)
            }
            try checkFile(location)
            return readOnly ? try SQLiteStore(readingPath: location) : try SQLiteStore(path: location)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "cannot open the store \(display(location)): \(error)")
        }
    }

    /// An SQLite store is a regular file, or none yet: a FIFO or a device
    /// named by mistake would hang the first read or be written over.
    static func checkFile(_ path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else { return }
        let kind = status.st_mode & S_IFMT
        guard kind == S_IFREG else {
            let what = kind == S_IFIFO ? "a FIFO" : kind == S_IFDIR ? "a folder" : kind == S_IFSOCK ? "a socket" : "a device"
            throw StoreError(.notAStore, "the store \(path) is \(what), not an SQLite file")
        }
    }

    /// The location as it may be shown: a URL without its password.
    public static func display(_ location: String) -> String {
        PostgresLocation.isURL(location) ? PostgresLocation.redacted(location) : location
    }
}
