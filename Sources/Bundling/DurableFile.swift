import Foundation
import Letters

/// File operations that mean what they say after a crash: written data is on
/// disk (fsync) before the rename that publishes it.
enum DurableFile {
    struct Failure: Error, CustomStringConvertible {
        var operation: String
        var path: String
        var code: Int32

        var description: String {
            "\(operation) \(path) failed: \(String(cString: strerror(code)))"
        }
    }

    static func write(_ data: Data, to url: URL) throws {
        try data.write(to: url)
        try sync(url)
    }

    /// Flushes a file or a folder (its entries) to disk.
    static func sync(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw Failure(operation: "open", path: url.path, code: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure(operation: "fsync", path: url.path, code: errno) }
    }

    static func rename(_ source: URL, to destination: URL) throws {
        guard Foundation.rename(source.path, destination.path) == 0 else {
            throw Failure(operation: "rename to \(destination.path)", path: source.path, code: errno)
        }
    }

    /// The SHA-256 of a file, read in chunks so a large PDF is never held whole.
    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalizeHex()
    }
}
