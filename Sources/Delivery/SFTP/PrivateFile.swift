import Foundation

/// Files that hold secrets: a private key, a passphrase.
enum PrivateFile {
    /// Refuses a file that others can read, as ssh refuses such a key
    /// ("UNPROTECTED PRIVATE KEY FILE"): a secret readable by the group or by
    /// everyone is a secret no longer, and using it would hide the problem.
    static func checkNotShared(_ path: String, what: String) throws(DeliveryError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw DeliveryError(.key, "the \(what) \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        let permissions = status.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw DeliveryError(.key, "the \(what) \(path) can be read by others (mode \(String(permissions, radix: 8))); "
                                + "like ssh, Courrier refuses it: chmod 600 \(path)")
        }
    }
}
