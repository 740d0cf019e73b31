import CSSH
import Foundation

/// An SSH connection to a print shop's server: its host key found in the
/// known_hosts file given, then logged in with a key. Nothing from the user's
/// `~/.ssh` is read, so what Courrier trusts is exactly what it was told.
///
/// Closed on purpose with `close()`; `deinit` only checks that it was.
final class SSHSession {
    let handle: ssh_session
    let address: SFTPAddress
    private var isClosed = false

    init(address: SFTPAddress, key: SSHKey, knownHosts: String, timeout: Int) throws(DeliveryError) {
        guard FileManager.default.isReadableFile(atPath: knownHosts) else {
            throw DeliveryError(.configuration, "the known_hosts file \(knownHosts) cannot be read; it must hold the host key of \(address.host)")
        }
        guard let handle = ssh_new() else {
            throw DeliveryError(.connection, "libssh could not create a session")
        }
        self.handle = handle
        self.address = address
        do {
            try configure(knownHosts: knownHosts, timeout: timeout)
            try connect(timeout: timeout)
            try verifyHostKey(knownHosts: knownHosts)
            try authenticate(with: key)
        } catch {
            close()
            throw error
        }
    }

    deinit {
        assert(isClosed, "an SSH session to \(address.host) was never closed")
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        ssh_disconnect(handle)
        ssh_free(handle)
    }

    /// The library's last message for this session.
    var lastError: String {
        String(cString: ssh_get_error(UnsafeMutableRawPointer(handle)))
    }

    var isConnected: Bool { ssh_is_connected(handle) != 0 }

    private var server: String { "\(address.host):\(address.port)" }

    private func set(_ option: ssh_options_e, _ value: UnsafeRawPointer, _ name: String) throws(DeliveryError) {
        guard ssh_options_set(handle, option, value) == SSH_OK else {
            throw DeliveryError(.configuration, "libssh refused the \(name) setting: \(lastError)")
        }
    }

    private func set(_ option: ssh_options_e, _ text: String, _ name: String) throws(DeliveryError) {
        let status = text.withCString { ssh_options_set(handle, option, $0) }
        guard status == SSH_OK else {
            throw DeliveryError(.configuration, "libssh refused the \(name) \"\(text)\": \(lastError)")
        }
    }

    private func configure(knownHosts: String, timeout: Int) throws(DeliveryError) {
        var noConfig = false
        try set(SSH_OPTIONS_PROCESS_CONFIG, &noConfig, "process-config")
        var quiet: Int32 = 0
        try set(SSH_OPTIONS_LOG_VERBOSITY, &quiet, "log verbosity")
        try set(SSH_OPTIONS_HOST, address.host, "host")
        var port = UInt32(address.port)
        try set(SSH_OPTIONS_PORT, &port, "port")
        try set(SSH_OPTIONS_USER, address.user, "user")
        // Both the user's and the system's list point at the one file given.
        try set(SSH_OPTIONS_KNOWNHOSTS, knownHosts, "known_hosts file")
        try set(SSH_OPTIONS_GLOBAL_KNOWNHOSTS, knownHosts, "known_hosts file")
        var seconds = timeout
        try set(SSH_OPTIONS_TIMEOUT, &seconds, "timeout")
        // SFTP here is a request and its answer, one write at a time: Nagle's
        // algorithm would hold each request back for the previous one's ACK.
        var noDelay: Int32 = 1
        try set(SSH_OPTIONS_NODELAY, &noDelay, "TCP no-delay")
    }

    private func connect(timeout: Int) throws(DeliveryError) {
        guard ssh_connect(handle) == SSH_OK else {
            throw DeliveryError(.connection, "cannot connect to \(server): \(lastError)")
        }
        // libssh waits for SFTP answers without a time limit: let the kernel
        // give up on a server that stops answering (cable cut, machine gone)
        // instead of hanging the batch.
        let socket = ssh_get_fd(handle)
        guard socket >= 0 else { return }
        var on: Int32 = 1, idle: Int32 = 15, interval: Int32 = 5, count: Int32 = 4
        var unacknowledged = UInt32(max(timeout, 1) * 1000)
        let size = socklen_t(MemoryLayout<Int32>.size)
        setsockopt(socket, SOL_SOCKET, SO_KEEPALIVE, &on, size)
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, size)
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, size)
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, size)
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, &unacknowledged, socklen_t(MemoryLayout<UInt32>.size))
    }

    /// Accepts the server only if known_hosts holds its key. An unknown key is
    /// never learnt on first use, and a changed key is never accepted: either
    /// could be another machine posing as the print shop's.
    private func verifyHostKey(knownHosts: String) throws(DeliveryError) {
        let state = ssh_session_is_known_server(handle)
        switch state {
        case SSH_KNOWN_HOSTS_OK:
            return
        case SSH_KNOWN_HOSTS_CHANGED, SSH_KNOWN_HOSTS_OTHER:
            throw DeliveryError(.hostKeyChanged, "the host key of \(server) has changed: the server shows \(serverKey()), "
                + "which is not the key \(knownHosts) holds for it; nothing was uploaded. If the print shop confirms "
                + "it changed its key, replace its line in \(knownHosts)")
        case SSH_KNOWN_HOSTS_UNKNOWN, SSH_KNOWN_HOSTS_NOT_FOUND:
            throw DeliveryError(.hostKeyUnknown, "the host key of \(server) (\(serverKey())) is not in \(knownHosts); "
                + "nothing was uploaded. Check the fingerprint with the print shop, then add the key: "
                + "ssh-keyscan -p \(address.port) \(address.host) >> \(knownHosts)")
        default:
            throw DeliveryError(.configuration, "cannot check the host key of \(server) against \(knownHosts): \(lastError)")
        }
    }

    /// The server's key as `TYPE SHA256:FINGERPRINT`, the form ssh-keygen -l prints.
    private func serverKey() -> String {
        var key: ssh_key?
        guard ssh_get_server_publickey(handle, &key) == SSH_OK, let key else { return "a key libssh could not read" }
        defer { ssh_key_free(key) }
        let type = ssh_key_type_to_char(ssh_key_type(key)).map { String(cString: $0) } ?? "key"
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0, let hash else { return type }
        defer { var owned: UnsafeMutablePointer<UInt8>? = hash; ssh_clean_pubkey_hash(&owned) }
        guard let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length) else { return type }
        defer { ssh_string_free_char(text) }
        return "\(type) \(String(cString: text))"
    }

    private func authenticate(with key: SSHKey) throws(DeliveryError) {
        let status = ssh_userauth_publickey(handle, nil, key.handle)
        switch status {
        case SSH_AUTH_SUCCESS.rawValue:
            return
        case SSH_AUTH_DENIED.rawValue:
            throw DeliveryError(.authentication, "\(server) refused the key \(key.path) for user \(address.user); "
                                + "the print shop must add its public key to that user's authorized_keys")
        case SSH_AUTH_PARTIAL.rawValue:
            throw DeliveryError(.authentication, "\(server) accepted the key \(key.path) for user \(address.user) "
                                + "but asks for a second factor, which an unattended worker cannot give")
        default:
            throw DeliveryError(.connection, "logging in to \(server) as \(address.user) failed: \(lastError)")
        }
    }
}
