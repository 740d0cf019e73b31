import Foundation

/// A drop on a mounted share (NFS, SMB) or any local folder, for print shops
/// without SFTP. Every write is synced before the rename that publishes it.
///
/// Anyone who can write to the share may plant links in it, and batch names
/// are predictable. So below the drop folder itself (which the operator
/// named) nothing is followed: each folder is opened with `O_NOFOLLOW`,
/// every file is made new with `O_EXCL|O_NOFOLLOW`, and a partial file is
/// resumed only when it is a plain file with no other name.
final class FolderDrop: DropFolder {
    /// The drop folder, as the destination names it.
    let root: String
    /// The mode of every file written; folders get it with search added.
    let fileMode: DropMode

    init(root: String, fileMode: DropMode = .standard) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.fileMode = fileMode
    }

    func size(of path: String) throws(DeliveryError) -> Int64? {
        if path == root || path == root + "/" {
            var status = stat()
            guard stat(root, &status) == 0 else {
                if errno == ENOENT { return nil }
                throw failure("look at", path)
            }
            return Int64(status.st_size)
        }
        guard let place = try reach(path) else { return nil }
        defer { place.close() }
        guard let status = try place.status() else { return nil }
        guard (status.st_mode & S_IFMT) != S_IFLNK else { throw planted(path) }
        return Int64(status.st_size)
    }

    func makeFolder(_ path: String) throws(DeliveryError) {
        let place = try self.place(of: path)
        defer { place.close() }
        if mkdirat(place.folder, place.name, fileMode.folderMode) == 0 {
            // mkdir applies the umask; the print shop's group must be able to enter.
            let made = openat(place.folder, place.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard made >= 0 else { throw failure("open the folder", path) }
            defer { _ = Glibc.close(made) }
            guard fchmod(made, fileMode.folderMode) == 0 else { throw failure("set the mode of", path) }
        } else {
            guard errno == EEXIST else { throw failure("create the folder", path) }
            guard let status = try place.status(), (status.st_mode & S_IFMT) == S_IFDIR else { throw planted(path) }
        }
        guard fsync(place.folder) == 0 else { throw failure("sync the folder of", path) }
    }

    func availableBytes(at path: String) -> Int64? {
        var status = statvfs()
        guard statvfs(path, &status) == 0 else { return nil }
        return Int64(status.f_bavail) * Int64(status.f_frsize)
    }

    func upload(_ file: URL, to path: String, from offset: Int64) throws(DeliveryError) {
        let source = open(file.path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else {
            throw DeliveryError(.bundle, "cannot read \(file.path): \(String(cString: strerror(errno)))")
        }
        defer { _ = Glibc.close(source) }
        let place = try self.place(of: path)
        defer { place.close() }
        let target = offset == 0 ? try create(place, path) : try resume(place, path, at: offset)
        defer { _ = Glibc.close(target) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position = offset
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress, $0.count, off_t(position)) }
            guard count >= 0 else { throw DeliveryError(.bundle, "cannot read \(file.path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            try writeAll(target, buffer[0..<count], at: position, path)
            position += Int64(count)
        }
        guard fsync(target) == 0 else { throw failure("sync", path) }
    }

    func write(_ bytes: [UInt8], to path: String) throws(DeliveryError) {
        let place = try self.place(of: path)
        defer { place.close() }
        let target = try create(place, path)
        defer { _ = Glibc.close(target) }
        try writeAll(target, bytes[...], at: 0, path)
        guard fsync(target) == 0 else { throw failure("sync", path) }
    }

    func rename(_ path: String, to newPath: String) throws(DeliveryError) {
        let from = try place(of: path)
        defer { from.close() }
        let to = try place(of: newPath)
        defer { to.close() }
        // link + unlink rather than rename(2): it refuses to replace a file
        // that is already there, as an SFTP server does. linkat without
        // AT_SYMLINK_FOLLOW links the name itself, never what a link names.
        if linkat(from.folder, from.name, to.folder, to.name, 0) == 0 {
            guard unlinkat(from.folder, from.name, 0) == 0 else { throw failure("remove", path) }
        } else {
            // Shares without hard links (SMB without Unix extensions, some
            // FUSE mounts): look first, then rename.
            guard [EPERM, ENOTSUP, EOPNOTSUPP, ENOSYS, EMLINK].contains(errno) else {
                throw failure("rename \(path) to", newPath)
            }
            guard try to.status() == nil else { throw failure("rename \(path) to", newPath, EEXIST) }
            guard renameat(from.folder, from.name, to.folder, to.name) == 0 else { throw failure("rename \(path) to", newPath) }
        }
        guard fsync(to.folder) == 0 else { throw failure("sync the folder of", newPath) }
    }

    func remove(_ path: String) throws(DeliveryError) {
        let place = try self.place(of: path)
        defer { place.close() }
        guard unlinkat(place.folder, place.name, 0) == 0 || errno == ENOENT else { throw failure("remove", path) }
    }

    func files(in path: String) throws(DeliveryError) -> [String] {
        let folder: Int32
        if path == root {
            folder = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard folder >= 0 else { throw failure("open the drop folder", root) }
        } else {
            guard let place = try reach(path) else { return [] }
            defer { place.close() }
            folder = openat(place.folder, place.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard folder >= 0 else {
                if errno == ENOENT { return [] }
                throw errno == ELOOP || errno == ENOTDIR ? planted(path) : failure("open the folder", path)
            }
        }
        // closedir closes the descriptor too.
        guard let listing = fdopendir(folder) else {
            _ = Glibc.close(folder)
            throw failure("list", path)
        }
        defer { closedir(listing) }
        var names: [String] = []
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            var status = stat()
            guard fstatat(folder, name, &status, AT_SYMLINK_NOFOLLOW) == 0, (status.st_mode & S_IFMT) == S_IFREG else { continue }
            names.append(name)
        }
        return names.sorted()
    }

    func read(_ path: String, limit: Int) throws(DeliveryError) -> [UInt8]? {
        guard let place = try reach(path) else { return nil }
        defer { place.close() }
        let file = openat(place.folder, place.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else {
            if errno == ENOENT { return nil }
            throw errno == ELOOP ? planted(path) : failure("open", path)
        }
        defer { _ = Glibc.close(file) }
        var status = stat()
        guard fstat(file, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_nlink == 1 else {
            throw DeliveryError(.transfer, "\(path) is not a plain file with one name (a FIFO, a device, a hard link): it is not read")
        }
        guard Int(status.st_size) <= limit else {
            throw DeliveryError(.transfer, "\(path) holds \(status.st_size) bytes; at most \(limit) are read")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size) + 1)
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                buffer.baseAddress.map { Glibc.read(file, $0 + done, buffer.count - done) } ?? 0
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("read", path) }
            if count == 0 { break }
            done += count
        }
        // One byte more than its size was asked for: a file that grew meanwhile is refused, not cut.
        guard done <= Int(status.st_size) else {
            throw DeliveryError(.transfer, "\(path) grew while it was read; it is read at the next round")
        }
        return Array(bytes[0..<done])
    }

    func close() {}

    // MARK: - Opening without following

    /// A name in an open folder: the folder is held by descriptor, so the
    /// name is looked up there and nowhere a link might lead.
    struct Place {
        let folder: Int32
        let name: String

        func status() throws(DeliveryError) -> stat? {
            var status = stat()
            guard fstatat(folder, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { return nil }
                throw DeliveryError(.transfer, "cannot look at \(name): \(String(cString: strerror(errno)))")
            }
            return status
        }

        func close() { _ = Glibc.close(folder) }
    }

    /// Opens the folders from the root down to the one holding `path`'s last
    /// component, following no link on the way.
    func place(of path: String) throws(DeliveryError) -> Place {
        guard let place = try reach(path) else {
            throw DeliveryError(.missingFolder, "cannot reach \(path): a folder on its way does not exist")
        }
        return place
    }

    /// As `place(of:)`, but nil when a folder on the way does not exist.
    private func reach(_ path: String) throws(DeliveryError) -> Place? {
        let prefix = root == "/" ? "/" : root + "/"
        guard path.hasPrefix(prefix), path.count > prefix.count else {
            throw DeliveryError(.transfer, "\(path) is not inside the drop folder \(root)")
        }
        var components = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let name = components.popLast(), !components.contains(".."), name != "..", name != "." else {
            throw DeliveryError(.transfer, "\(path) does not name a file inside the drop folder \(root)")
        }
        var folder = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw failure("open the drop folder", root) }
        var reached = root
        for component in components {
            reached += "/" + component
            let next = openat(folder, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            _ = Glibc.close(folder)
            guard next >= 0 else {
                if code == ENOENT { return nil }
                throw code == ELOOP || code == ENOTDIR ? planted(reached) : failure("open the folder", reached, code)
            }
            folder = next
        }
        return Place(folder: folder, name: name)
    }

    /// A new file under `place`: whatever had its name (an earlier attempt's
    /// leftover, or a link someone planted) is removed, not written through.
    private func create(_ place: Place, _ path: String) throws(DeliveryError) -> Int32 {
        guard unlinkat(place.folder, place.name, 0) == 0 || errno == ENOENT else { throw failure("replace", path) }
        let target = openat(place.folder, place.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            fileMode.rawValue)
        guard target >= 0 else { throw failure("create", path) }
        guard fchmod(target, fileMode.rawValue) == 0 else {
            _ = Glibc.close(target)
            throw failure("set the mode of", path)
        }
        return target
    }

    /// The partial file of an earlier attempt, opened to go on at `offset`:
    /// only a plain file with no other name, holding at least that much.
    private func resume(_ place: Place, _ path: String, at offset: Int64) throws(DeliveryError) -> Int32 {
        let target = openat(place.folder, place.name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard target >= 0 else {
            throw errno == ELOOP ? planted(path) : failure("open", path)
        }
        var status = stat()
        guard fstat(target, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_nlink == 1,
              Int64(status.st_size) >= offset else {
            _ = Glibc.close(target)
            throw DeliveryError(.conflict, "\(path) is not a plain file of this bundle's upload "
                                + "(a link, or a file with another name); Courrier does not write through it")
        }
        guard ftruncate(target, off_t(offset)) == 0 else {
            _ = Glibc.close(target)
            throw failure("resume", path)
        }
        return target
    }

    private func writeAll(_ target: Int32, _ bytes: ArraySlice<UInt8>, at position: Int64, _ path: String) throws(DeliveryError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { pwrite(target, $0.baseAddress! + done, bytes.count - done, off_t(position) + off_t(done)) }
            guard written > 0 else { throw failure("write", path) }
            done += written
        }
    }

    private func planted(_ path: String) -> DeliveryError {
        DeliveryError(.conflict, "\(path) is a symbolic link or not a folder; Courrier follows no link in the drop and does not write through it")
    }

    private func failure(_ operation: String, _ path: String, _ code: Int32 = errno) -> DeliveryError {
        let reason = String(cString: strerror(code))
        let kind: DeliveryError.Code = switch code {
        case EACCES, EPERM, EROFS: .permissionDenied
        case ENOSPC, EDQUOT: .noSpace
        case ENOENT: .missingFolder
        default: .transfer
        }
        return DeliveryError(kind, "cannot \(operation) \(path): \(reason)")
    }
}

/// The mode of the files in a folder drop: the print shop's group reads them,
/// nobody else does. Folders get the same bits with search added.
public struct DropMode: Sendable, Equatable, CustomStringConvertible {
    public let rawValue: mode_t

    /// `0640`: the owner writes, the print shop's group reads.
    public static let standard = DropMode(checked: 0o640)

    private init(checked: mode_t) { rawValue = checked }

    /// Reads an octal mode such as `0640` or `660`. Bits for others, and
    /// execute, set-id and sticky bits, are refused: a bundle is for the
    /// print shop alone.
    public static func parse(_ text: String) -> DropMode? {
        let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
        guard !digits.isEmpty, digits.count <= 4, let value = mode_t(digits, radix: 8),
              value & 0o7117 == 0, value & 0o600 == 0o600 else { return nil }
        return DropMode(checked: value)
    }

    /// The folder's mode: each class that reads the files may also enter.
    public var folderMode: mode_t {
        rawValue | 0o100 | (rawValue & 0o040 != 0 ? 0o010 : 0)
    }

    public var description: String { "0" + String(rawValue, radix: 8) }
}
