import Foundation

/// A file in a folder that others write to: a document, and the terms PDF
/// and logo it names. It is opened once, by descriptor, following no link,
/// and every check is made on that descriptor, so nothing swapped in between
/// a check and the read is read.
enum SharedFile {
    /// Why a file was not read, said of the file as the document names it.
    struct Refusal: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    /// Reads the file at `path`, a path the operator gave: only its last
    /// component must not be a link.
    static func read(_ path: String, limit: Int) throws(Refusal) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw refusal(opening: errno) }
        defer { _ = close(descriptor) }
        return try read(descriptor, limit: limit)
    }

    /// Reads `relativePath` inside `folder`, one component at a time: no
    /// component may be a link or `..`, and the file must have no other name
    /// (a hard link may name a file outside the folder).
    static func read(_ relativePath: String, in folder: URL, limit: Int) throws(Refusal) -> [UInt8] {
        guard !relativePath.hasPrefix("/") else { throw Refusal(reason: "is an absolute path; name a file in the document's folder") }
        var components = relativePath.split(separator: "/").map(String.init).filter { $0 != "." }
        guard let name = components.popLast() else { throw Refusal(reason: "names no file") }
        guard !components.contains(".."), name != ".." else { throw Refusal(reason: "leads out of the document's folder") }
        var current = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { throw refusal(opening: errno) }
        defer { _ = close(current) }
        for component in components {
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            guard next >= 0 else {
                throw code == ELOOP || code == ENOTDIR
                    ? Refusal(reason: "passes through \"\(component)\", which is a link or not a folder; Courrier follows no link in a document's folder")
                    : refusal(opening: code)
            }
            _ = close(current)
            current = next
        }
        let descriptor = openat(current, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw refusal(opening: errno) }
        defer { _ = close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw refusal(opening: errno) }
        guard status.st_nlink <= 1 || (status.st_mode & S_IFMT) != S_IFREG else {
            throw Refusal(reason: "has \(status.st_nlink) names (hard links), and one may be outside the document's folder; "
                          + "copy the file instead of linking it")
        }
        return try read(descriptor, limit: limit)
    }

    /// The bytes behind an open descriptor: a regular file of at most `limit`
    /// bytes, its size taken from the descriptor before anything is read.
    private static func read(_ descriptor: Int32, limit: Int) throws(Refusal) -> [UInt8] {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw refusal(opening: errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw Refusal(reason: "is not a regular file") }
        let size = Int(status.st_size)
        guard size <= limit else {
            throw Refusal(reason: "is a file of \(size / 1024 / 1024) MiB; at most \(limit / 1024 / 1024) MiB")
        }
        // The descriptor was opened without blocking, for a FIFO's sake; a regular file reads whole anyway.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if read < 0 && errno == EINTR { continue }
            guard read >= 0 else { throw Refusal(reason: "cannot be read (\(String(cString: strerror(errno))))") }
            if read == 0 { break }
            count += read
        }
        // A file that grew while it was read is cut at the size it had: what was checked.
        guard count <= size else { throw Refusal(reason: "grew while it was read; send it again once it is written") }
        return Array(bytes[0..<count])
    }

    private static func refusal(opening code: Int32) -> Refusal {
        switch code {
        case ENOENT: Refusal(reason: "does not exist")
        case ELOOP: Refusal(reason: "is a symbolic link; Courrier follows no link in a shared folder")
        case EACCES, EPERM: Refusal(reason: "cannot be read: permission denied")
        default: Refusal(reason: "cannot be opened (\(String(cString: strerror(code))))")
        }
    }
}
