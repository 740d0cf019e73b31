/// The sender's logo, a PNG printed at the top of the first page.
public enum LogoSource: Sendable, Equatable, Codable {
    /// A PNG next to the document, relative to its folder.
    case pngFile(path: String)
    /// A PNG carried inside the document.
    case pngData([UInt8])

    /// What to call it in an error: its field and, for a file, its path.
    public var name: String {
        switch self {
        case .pngFile(let path): "sender.logo.png \"\(path)\""
        case .pngData: "sender.logo.png_base64"
        }
    }
}
