import CCrypto

/// HMAC-SHA256 (RFC 2104), from the system's libcrypto: the signature the
/// webhook puts on each event it posts, which the product checks with its
/// copy of the secret.
public enum HMACSHA256 {
    /// The authentication code of `message` under `key`, as 64 lowercase hexadecimal digits.
    public static func hex(key: [UInt8], message: [UInt8]) -> String {
        var code = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBufferPointer { messageBytes in
                HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(key.count), messageBytes.baseAddress, messageBytes.count,
                     &code, &length)
            }
        }
        // HMAC fails only when libcrypto cannot allocate; an empty answer then matches no signature.
        guard done != nil else { return "" }
        return code.prefix(Int(length)).map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}
