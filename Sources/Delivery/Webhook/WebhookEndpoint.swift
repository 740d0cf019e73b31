import Foundation

/// The product's webhook: where events are posted, and the secret they are
/// signed with.
///
/// `https://` with the server's certificate checked, or `http://` to this
/// machine only (a receiver on loopback, behind a proxy that adds TLS): an
/// event names customers and amounts, and never crosses a network in clear.
public struct WebhookEndpoint: Sendable, Equatable {
    public let url: String
    public let secret: [UInt8]

    public init(url: String, secret: [UInt8]) throws(DeliveryError) {
        if let problem = Self.problem(url) {
            throw DeliveryError(.configuration, "COURRIER_WEBHOOK_URL \(problem)")
        }
        guard !secret.isEmpty else {
            throw DeliveryError(.configuration, "the webhook's secret is empty: COURRIER_WEBHOOK_SECRET_FILE names a file that holds it")
        }
        self.url = url
        self.secret = secret
    }

    /// Reads the secret from `path`, a file only its owner reads, without
    /// the line break an editor leaves at its end.
    public init(url: String, secretFile path: String) throws(DeliveryError) {
        try PrivateFile.checkNotShared(path, what: "webhook secret file")
        guard let handle = FileHandle(forReadingAtPath: path),
              let data = try? handle.read(upToCount: 4097), data.count <= 4096 else {
            throw DeliveryError(.key, "the webhook secret file \(path) cannot be read, or holds more than 4 KiB")
        }
        try? handle.close()
        var secret = [UInt8](data)
        while let last = secret.last, last == 0x0A || last == 0x0D { secret.removeLast() }
        try self.init(url: url, secret: secret)
    }

    /// Why `url` cannot be a webhook, or nil.
    static func problem(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            return "is \"\(url.prefix(80))\", which is not an http:// or https:// URL"
        }
        if components.user != nil || components.password != nil {
            return "holds a user or password; the secret file signs what is sent, and the receiver checks the signature"
        }
        switch scheme {
        case "https": return nil
        case "http":
            let loopback = host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
            return loopback ? nil : "is http:// to \(host); events go over https://, or over http:// to this machine only"
        default:
            return "has the scheme \(scheme)://; give an https:// URL"
        }
    }
}
