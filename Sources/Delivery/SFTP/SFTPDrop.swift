import CSSH
import Foundation

/// A print shop's SFTP drop, through libssh.
final class SFTPDrop: DropFolder {
    private let session: SSHSession
    private let sftp: sftp_session
    private var isClosed = false

    /// The size of each write. libssh waits for the server's answer to every
    /// write; OpenSSH's server accepts messages up to 256 KiB, and larger
    /// writes mean fewer round trips.
    static let chunkSize = 224 * 1024

    init(address: SFTPAddress, key path: String, passphrase: Secret?, knownHosts: String, timeout: Int) throws(DeliveryError) {
        let key = try SSHKey(path: path, passphrase: passphrase)
        let session = try SSHSession(address: address, key: key, knownHosts: knownHosts, timeout: timeout)
        guard let sftp = sftp_new(session.handle) else {
            let error = DeliveryError(.connection, "cannot open an SFTP channel on \(address.host): \(session.lastError)")
            session.close()
            throw error
        }
        guard sftp_init(sftp) == SSH_OK else {
            let error = DeliveryError(.connection, "\(address.host) did not start its SFTP subsystem: \(session.lastError)")
            sftp_free(sftp)
            session.close()
            throw error
        }
        self.session = session
        self.sftp = sftp
    }

    deinit {
        assert(isClosed, "an SFTP drop was never closed")
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        sftp_free(sftp)
        session.close()
    }

    /// The error for an operation that failed: the SFTP status the server
    /// answered, or the connection's own error when it went away.
    private func failure(_ operation: String, _ path: String) -> DeliveryError {
        let host = "\(session.address.host):\(session.address.port)"
        guard session.isConnected else {
            return DeliveryError(.connection, "the connection to \(host) was lost during \(operation) \(path): \(session.lastError)")
        }
        let status = sftp_get_error(sftp)
        switch status {
        case SSH_FX_PERMISSION_DENIED, SSH_FX_WRITE_PROTECT:
            return DeliveryError(.permissionDenied, "\(host) denied \(operation) \(path): permission denied")
        case SSH_FX_NO_SUCH_FILE, SSH_FX_NO_SUCH_PATH:
            return DeliveryError(.missingFolder, "\(host) cannot \(operation) \(path): no such file or folder")
        case SSH_FX_FILE_ALREADY_EXISTS:
            return DeliveryError(.conflict, "\(host) cannot \(operation) \(path): it already exists")
        case SSH_FX_FAILURE:
            // OpenSSH's server answers a full disk or quota with this plain "failure".
            return DeliveryError(.transfer, "\(host) failed \(operation) \(path) (the server gives no reason; a full disk or quota answers so)")
        case SSH_FX_NO_CONNECTION, SSH_FX_CONNECTION_LOST:
            return DeliveryError(.connection, "the connection to \(host) was lost during \(operation) \(path)")
        default:
            return DeliveryError(.transfer, "\(host) failed \(operation) \(path): SFTP status \(status), \(session.lastError)")
        }
    }

    func size(of path: String) throws(DeliveryError) -> Int64? {
        guard let attributes = sftp_stat(sftp, path) else {
            if session.isConnected, sftp_get_error(sftp) == SSH_FX_NO_SUCH_FILE { return nil }
            throw failure("reading the size of", path)
        }
        defer { sftp_attributes_free(attributes) }
        return Int64(attributes.pointee.size)
    }

    func makeFolder(_ path: String) throws(DeliveryError) {
        guard sftp_mkdir(sftp, path, 0o755) != 0 else { return }
        // OpenSSH answers "failure" for a folder that exists: look before reporting.
        let error = failure("creating the folder", path)
        if let attributes = sftp_stat(sftp, path) {
            defer { sftp_attributes_free(attributes) }
            if attributes.pointee.type == UInt8(SSH_FILEXFER_TYPE_DIRECTORY) { return }
        }
        throw error
    }

    func availableBytes(at path: String) -> Int64? {
        guard sftp_extension_supported(sftp, "statvfs@openssh.com", "2") != 0,
              let status = sftp_statvfs(sftp, path) else { return nil }
        defer { sftp_statvfs_free(status) }
        return Int64(status.pointee.f_bavail) * Int64(status.pointee.f_frsize)
    }

    private func open(_ path: String, truncating: Bool) throws(DeliveryError) -> sftp_file {
        guard let file = sftp_open(sftp, path, O_WRONLY | O_CREAT | (truncating ? O_TRUNC : 0), 0o644) else {
            throw failure("opening for writing", path)
        }
        return file
    }

    /// Flushes the file to the server's disk (fsync@openssh.com, where the
    /// server has it) and closes it.
    private func finish(_ file: sftp_file, _ path: String) throws(DeliveryError) {
        if sftp_extension_supported(sftp, "fsync@openssh.com", "1") != 0, sftp_fsync(file) != 0 {
            let error = failure("syncing", path)
            sftp_close(file)
            throw error
        }
        guard sftp_close(file) == 0 else { throw failure("closing", path) }
    }

    func upload(_ local: URL, to path: String, from offset: Int64) throws(DeliveryError) {
        let source = Glibc.open(local.path, O_RDONLY)
        guard source >= 0 else {
            throw DeliveryError(.bundle, "cannot read \(local.path): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(source) }
        let file = try open(path, truncating: offset == 0)
        var position = offset
        guard sftp_seek64(file, UInt64(offset)) == 0 else {
            let error = failure("seeking in", path)
            sftp_close(file)
            throw error
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = pread(source, buffer, Self.chunkSize, off_t(position))
            guard count >= 0 else {
                sftp_close(file)
                throw DeliveryError(.bundle, "cannot read \(local.path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            guard sftp_write(file, buffer, count) == count else {
                let error = failure("writing to", path)
                sftp_close(file)
                throw error
            }
            position += Int64(count)
        }
        try finish(file, path)
    }

    func write(_ bytes: [UInt8], to path: String) throws(DeliveryError) {
        let file = try open(path, truncating: true)
        if !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { sftp_write(file, $0.baseAddress, $0.count) }
            guard written == bytes.count else {
                let error = failure("writing to", path)
                sftp_close(file)
                throw error
            }
        }
        try finish(file, path)
    }

    func files(in path: String) throws(DeliveryError) -> [String] {
        guard let folder = sftp_opendir(sftp, path) else {
            if session.isConnected, sftp_get_error(sftp) == SSH_FX_NO_SUCH_FILE { return [] }
            throw failure("listing", path)
        }
        var names: [String] = []
        while let entry = sftp_readdir(sftp, folder) {
            // The server says what each entry is, without following it.
            if entry.pointee.type == UInt8(SSH_FILEXFER_TYPE_REGULAR), let name = entry.pointee.name {
                names.append(String(cString: name))
            }
            sftp_attributes_free(entry)
        }
        let complete = sftp_dir_eof(folder) == 1
        sftp_closedir(folder)
        guard complete else { throw failure("listing", path) }
        return names.sorted()
    }

    func read(_ path: String, limit: Int) throws(DeliveryError) -> [UInt8]? {
        guard let attributes = sftp_lstat(sftp, path) else {
            if session.isConnected, sftp_get_error(sftp) == SSH_FX_NO_SUCH_FILE { return nil }
            throw failure("looking at", path)
        }
        let type = attributes.pointee.type, size = attributes.pointee.size
        sftp_attributes_free(attributes)
        guard type == UInt8(SSH_FILEXFER_TYPE_REGULAR) else {
            throw DeliveryError(.transfer, "\(path) is not a plain file (a link, a folder): it is not read")
        }
        guard size <= UInt64(limit) else {
            throw DeliveryError(.transfer, "\(path) holds \(size) bytes; at most \(limit) are read")
        }
        guard let file = sftp_open(sftp, path, O_RDONLY, 0) else { throw failure("opening", path) }
        defer { sftp_close(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { sftp_read(file, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw failure("reading", path) }
            if count == 0 { break }
            bytes += chunk[0..<count]
            // It grew since it was looked at: what is read stays within the limit.
            guard bytes.count <= limit else {
                throw DeliveryError(.transfer, "\(path) holds more than \(limit) bytes; it is not read")
            }
        }
        return bytes
    }

    func rename(_ path: String, to newPath: String) throws(DeliveryError) {
        guard sftp_rename(sftp, path, newPath) == 0 else { throw failure("renaming \(path) to", newPath) }
    }

    func remove(_ path: String) throws(DeliveryError) {
        guard sftp_unlink(sftp, path) == 0 else {
            if session.isConnected, sftp_get_error(sftp) == SSH_FX_NO_SUCH_FILE { return }
            throw failure("removing", path)
        }
    }
}
