/// Why a bundle did not reach the print shop, said so that an operator can act.
///
/// Messages name the destination, the file and what the server or the system
/// answered; they never carry a key or a passphrase.
public struct DeliveryError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The delivery settings are wrong or incomplete.
        case configuration
        /// The private key could not be used: missing, unreadable, readable by others, wrong passphrase.
        case key
        /// The server's host key is not in the known_hosts file.
        case hostKeyUnknown = "host_key_unknown"
        /// The server's host key differs from the one known_hosts holds for it.
        case hostKeyChanged = "host_key_changed"
        /// The server refused the key.
        case authentication
        /// No connection, or the connection was cut.
        case connection
        /// The server or the share refused to let us write.
        case permissionDenied = "permission_denied"
        /// The drop folder does not exist.
        case missingFolder = "missing_folder"
        /// Not enough free space at the destination.
        case noSpace = "no_space"
        /// A file with a final name is already there and is not ours.
        case conflict
        /// An operation on a file failed for another reason.
        case transfer
        /// The bundle in the outbox is missing or unreadable.
        case bundle
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
