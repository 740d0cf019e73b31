import Foundation

/// A drop on a mounted share (NFS, SMB) or any local folder, for print shops
/// without SFTP. Every write is synced before the rename that publishes it.
final class FolderDrop: DropFolder {

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

    func size(of path: String) throws(DeliveryError) -> Int64? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return nil }
            throw failure("look at", path)
        }
        return Int64(status.st_size)
    }

    func makeFolder(_ path: String) throws(DeliveryError) {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw failure("create the folder", path) }
        try syncFolder(containing: path)
    }

    func availableBytes(at path: String) -> Int64? {
        var status = statvfs()
        guard statvfs(path, &status) == 0 else { return nil }
        return Int64(status.f_bavail) * Int64(status.f_frsize)
    }

    func upload(_ file: URL, to path: String, from offset: Int64) throws(DeliveryError) {
        let source = open(file.path, O_RDONLY)
        guard source >= 0 else {
            throw DeliveryError(.bundle, "cannot read \(file.path): \(String(cString: strerror(errno)))")
        }
        defer { _ = Glibc.close(source) }
        let target = open(path, O_WRONLY | O_CREAT | (offset == 0 ? O_TRUNC : 0), 0o644)
        guard target >= 0 else { throw failure("write", path) }
        defer { _ = Glibc.close(target) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position = offset
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress, $0.count, off_t(position)) }
            guard count >= 0 else { throw DeliveryError(.bundle, "cannot read \(file.path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            var done = 0
            while done < count {
                let written = buffer.withUnsafeBytes { pwrite(target, $0.baseAddress! + done, count - done, off_t(position) + off_t(done)) }
                guard written > 0 else { throw failure("write", path) }
                done += written
            }
            position += Int64(count)
        }
        guard fsync(target) == 0 else { throw failure("sync", path) }
    }

    func write(_ bytes: [UInt8], to path: String) throws(DeliveryError) {
        let target = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard target >= 0 else { throw failure("write", path) }
        defer { _ = Glibc.close(target) }
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(target, $0.baseAddress! + done, bytes.count - done) }
            guard written > 0 else { throw failure("write", path) }
            done += written
        }
        guard fsync(target) == 0 else { throw failure("sync", path) }
    }

    func rename(_ path: String, to newPath: String) throws(DeliveryError) {
        // link + unlink rather than rename(2): it refuses to replace a file
        // that is already there, as an SFTP server does.
        if link(path, newPath) == 0 {
            guard unlink(path) == 0 else { throw failure("remove", path) }
        } else {
            // Shares without hard links (SMB without Unix extensions, some
            // FUSE mounts): look first, then rename.
            guard [EPERM, ENOTSUP, EOPNOTSUPP, ENOSYS, EMLINK].contains(errno) else {
                throw failure("rename \(path) to", newPath)
            }
            guard try size(of: newPath) == nil else { throw failure("rename \(path) to", newPath, EEXIST) }
            guard Glibc.rename(path, newPath) == 0 else { throw failure("rename \(path) to", newPath) }
        }
        try syncFolder(containing: newPath)
    }

    func remove(_ path: String) throws(DeliveryError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("remove", path) }
    }

    func close() {}

    private func syncFolder(containing path: String) throws(DeliveryError) {
        let folder = (path as NSString).deletingLastPathComponent
        let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { throw failure("open", folder) }
        defer { _ = Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("sync", folder) }
    }
}
