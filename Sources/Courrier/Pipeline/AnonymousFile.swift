import Foundation

/// A temporary file with no name: made and unlinked at once, so that nothing
/// of a customer's file is left on disk when the process is killed, and
/// handed to a child process as a descriptor.
final class AnonymousFile {
    let descriptor: Int32

    /// Made in `$TMPDIR`, else `/dev/shm` or `/tmp`: the first that takes it.
    init() throws(MachineFault) {
        var tried: [String] = []
        let folders = [ProcessInfo.processInfo.environment["TMPDIR"], "/dev/shm", "/tmp"].compactMap { $0 }.filter { !$0.isEmpty }
        for folder in folders {
            var template = Array((folder as NSString).appendingPathComponent("courrier-open.XXXXXX").utf8CString)
            let made = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
                mkstemp(buffer.baseAddress!)
            }
            if made >= 0 {
                _ = fcntl(made, F_SETFD, FD_CLOEXEC)
                template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
                descriptor = made
                return
            }
            tried.append("\(folder) (\(String(cString: strerror(errno))))")
        }
        throw MachineFault("no temporary file could be made, in \(tried.joined(separator: ", ")); set TMPDIR to a folder Courrier can write to")
    }

    deinit {
        _ = close(descriptor)
    }

    /// Writes `bytes` as the whole file, and goes back to its start.
    func write(_ bytes: [UInt8]) throws(MachineFault) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(done)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw MachineFault("a temporary file could not be written (\(String(cString: strerror(errno)))): is the disk full?")
            }
            done += written
        }
        guard ftruncate(descriptor, off_t(bytes.count)) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw MachineFault("a temporary file could not be written (\(String(cString: strerror(errno))))")
        }
    }

    /// The whole file, at most `limit` bytes of it.
    func read(limit: Int) throws(MachineFault) -> [UInt8] {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw MachineFault("a temporary file could not be read (\(String(cString: strerror(errno))))")
        }
        let size = min(Int(status.st_size), limit)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, size - done, off_t(done)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            done += count
        }
        return Array(bytes[0..<done])
    }
}

/// Something this machine lacked (a temporary folder, a process, disk
/// space), not something wrong with a letter: the round fails, and the
/// letter stays queued for a round on a machine that has it.
struct MachineFault: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
