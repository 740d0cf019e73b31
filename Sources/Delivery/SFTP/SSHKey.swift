import CSSH

/// A private key (ed25519 or RSA), read by libssh.
final class SSHKey {
    let handle: ssh_key
    let path: String

    /// Reads the key at `path`, decrypting it with `passphrase` when it is
    /// encrypted. Neither the key nor the passphrase appears in an error.
    init(path: String, passphrase: Secret?) throws(DeliveryError) {
        try PrivateFile.checkNotShared(path, what: "SSH key")
        var key: ssh_key?
        let status: Int32
        if let passphrase {
            status = passphrase.value.withCString { ssh_pki_import_privkey_file(path, $0, nil, nil, &key) }
        } else {
            // Without a passphrase and without this callback, libssh lets OpenSSL
            // ask for one on the terminal, and a batch hangs waiting for an answer.
            status = ssh_pki_import_privkey_file(path, nil, { _, _, _, _, _, _ in -1 }, nil, &key)
        }
        guard status == SSH_OK, let key else {
            if let key { ssh_key_free(key) }
            let why = passphrase == nil
                ? "it is not a private key, or it is encrypted and no passphrase was given (COURRIER_SSH_PASSPHRASE or --ssh-passphrase-file)"
                : "the passphrase is wrong, or it is not a private key"
            throw DeliveryError(.key, "cannot use the SSH key \(path): \(why)")
        }
        handle = key
        self.path = path
    }

    deinit {
        ssh_key_free(handle)
    }
}
