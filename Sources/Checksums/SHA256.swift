import CCrypto

/// SHA-256, from the system's libcrypto (OpenSSL): the digest of documents
/// and attachments in the store, and of each file in a bundle's SHA256SUMS.
///
/// One `EVP_MD_CTX` per hasher, freed with it. Not `Sendable`: a hasher
/// belongs to the thread that feeds it.
public final class SHA256 {
    private let context: OpaquePointer
    private var finished = false

    public init() {
        // Allocation failure is memory exhaustion; nothing sensible goes on from there.
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto could not start a SHA-256 digest")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// The digest of `bytes`, as 64 lowercase hexadecimal digits.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let hasher = SHA256()
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { hasher.update(UnsafeRawBufferPointer($0)) }
        if contiguous == nil { hasher.update(Array(bytes)) }
        return hasher.finalizeHex()
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "SHA256 updated after it was finalized")
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32 bytes of the digest; the hasher is spent.
    public func finalize() -> [UInt8] {
        precondition(!finished, "SHA256 finalized twice")
        finished = true
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }

    public func finalizeHex() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in finalize() {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
