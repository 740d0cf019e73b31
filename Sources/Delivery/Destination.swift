import Foundation

/// Where bundles go after a cut: a print shop's SFTP drop, or a folder on a
/// mounted share.
public enum Destination: Sendable, Equatable, CustomStringConvertible {
    case sftp(SFTPAddress)
    case folder(path: String)

    /// Reads `sftp://USER@HOST[:PORT]/PATH` or `file:///PATH`.
    ///
    /// PATH is absolute on the server, as curl reads such URLs; `/~/PATH` is
    /// relative to the user's home folder. A password in the URL is refused:
    /// Courrier authenticates with a key.
    public init(url text: String) throws(DeliveryError) {
        func invalid(_ why: String) -> DeliveryError {
            DeliveryError(.configuration, "the destination \"\(Self.redacted(text))\" \(why)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw invalid("is not a URL; expected sftp://USER@HOST[:PORT]/PATH or file:///PATH")
        }
        switch scheme {
        case "sftp":
            guard components.password == nil else {
                throw invalid("holds a password; Courrier logs in with a key (--ssh-key), so remove it from the URL")
            }
            guard let user = components.user, !user.isEmpty else {
                throw invalid("names no user; expected sftp://USER@HOST[:PORT]/PATH")
            }
            guard let host = components.host, !host.isEmpty else {
                throw invalid("names no host; expected sftp://USER@HOST[:PORT]/PATH")
            }
            let port = components.port ?? 22
            guard (1...65535).contains(port) else { throw invalid("has port \(port), expected 1 to 65535") }
            var path = components.path
            if path.hasPrefix("/~/") {
                path = String(path.dropFirst(3))
            } else if path == "/~" {
                path = "."
            }
            guard !path.isEmpty else { throw invalid("names no folder; expected sftp://USER@HOST[:PORT]/PATH") }
            self = .sftp(SFTPAddress(user: user, host: host, port: port, path: Self.trimmed(path)))
        case "file":
            if let host = components.host, !host.isEmpty, host != "localhost" {
                throw invalid("names host \(host); a file:// destination is a folder on this machine: file:///PATH")
            }
            guard components.path.hasPrefix("/") else { throw invalid("is not an absolute path; expected file:///PATH") }
            self = .folder(path: Self.trimmed(components.path))
        default:
            throw invalid("has scheme \(scheme); Courrier delivers to sftp:// and file:// destinations")
        }
    }

    public var description: String {
        switch self {
        case .sftp(let address): address.description
        case .folder(let path): "file://\(path)"
        }
    }

    /// The folder bundles are put in, as the drop's paths write it.
    public var root: String {
        switch self {
        case .sftp(let address): address.path
        case .folder(let path): path
        }
    }

    private static func trimmed(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// The URL as it may be shown: a password, if one was given, is masked.
    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "********"
        return components.string ?? "(unreadable URL)"
    }
}

/// A print shop's SFTP drop.
public struct SFTPAddress: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    /// The drop folder: absolute, or relative to the user's home folder.
    public var path: String

    public init(user: String, host: String, port: Int = 22, path: String) {
        self.user = user
        self.host = host
        self.port = port
        self.path = path
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "sftp://\(user)@\(shownHost):\(port)" + (path.hasPrefix("/") ? path : "/~/\(path)")
    }
}
