import Foundation

/// How to reach the print shop: the destination and, for SFTP, the key and
/// the host keys to trust.
public struct DeliverySettings: Sendable {
    public var destination: Destination
    /// The private key (ed25519 or RSA) for an SFTP destination.
    public var sshKey: String?
    /// The key's passphrase, when it has one.
    public var passphrase: Secret?
    /// The known_hosts file holding the server's host key; nothing else is trusted.
    public var knownHosts: String?
    /// The file written last into a delivered bundle's folder.
    public var trigger: String
    /// Seconds to wait for the server to answer the connection.
    public var connectTimeout: Int
    /// The mode of the files a folder drop writes.
    public var fileMode: DropMode

    public static let defaultTrigger = "READY"

    public init(destination: Destination, sshKey: String? = nil, passphrase: Secret? = nil, knownHosts: String? = nil,
                trigger: String = DeliverySettings.defaultTrigger, connectTimeout: Int = 30,
                fileMode: DropMode = .standard) {
        self.destination = destination
        self.sshKey = sshKey
        self.passphrase = passphrase
        self.knownHosts = knownHosts
        self.trigger = trigger
        self.connectTimeout = connectTimeout
        self.fileMode = fileMode
    }

    /// Reads a passphrase file: its first line, so that a trailing newline from
    /// an editor does not become part of the passphrase. Like the key, the file
    /// must not be readable by others.
    public static func passphrase(fromFile path: String) throws(DeliveryError) -> Secret {
        try PrivateFile.checkNotShared(path, what: "passphrase file")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeliveryError(.key, "cannot read the passphrase file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        return Secret(String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""))
    }

    /// Checks what can be checked without connecting.
    public func validate() throws(DeliveryError) {
        guard !trigger.isEmpty, !trigger.contains("/"), !trigger.hasPrefix("."), trigger != ".." else {
            throw DeliveryError(.configuration, "the trigger file name \"\(trigger)\" must be a plain file name, such as READY")
        }
        guard case .sftp = destination else { return }
        guard let sshKey, !sshKey.isEmpty else {
            throw DeliveryError(.configuration, "delivering to \(destination) needs a private key: --ssh-key FILE (COURRIER_SSH_KEY)")
        }
        guard let knownHosts, !knownHosts.isEmpty else {
            throw DeliveryError(.configuration, "delivering to \(destination) needs the server's host key in a known_hosts file: --known-hosts FILE (COURRIER_KNOWN_HOSTS)")
        }
    }

    /// Connects to the destination.
    public func openDrop() throws(DeliveryError) -> DropFolder {
        try validate()
        switch destination {
        case .sftp(let address):
            return try SFTPDrop(address: address, key: sshKey ?? "", passphrase: passphrase,
                                knownHosts: knownHosts ?? "", timeout: connectTimeout)
        case .folder(let path):
            return FolderDrop(root: path, fileMode: fileMode)
        }
    }
}
