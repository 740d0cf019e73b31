import Checksums
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

    /// Writes `data` to a new file of mode 0600 and syncs it; a full disk is
    /// an error that names the file (ENOSPC), not a bare Cocoa code.
    static func write(_ data: Data, to url: URL) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(operation: "create", path: url.path, code: errno) }
        defer { close(descriptor) }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Failure(operation: "write", path: url.path, code: errno)
                }
                offset += written
            }
        }
        guard fsync(descriptor) == 0 else { throw Failure(operation: "fsync", path: url.path, code: errno) }
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
        let hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalizeHex()
    }
}
