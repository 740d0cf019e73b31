import Foundation

/// The print shop's answers in the drop, read by the rules of the contract,
/// whatever the transport:
///
/// - `ROOT/<batch>/ACK`: written once the print shop took the bundle in; its
///   content (a job number, a name) is kept.
/// - `ROOT/responses/*.csv`: response files; each taken is moved to
///   `ROOT/responses/done/`, under its own name, or with its hash added when
///   a file of that name is there already.
public struct AnswerDrop {
    public var root: String

    public static let acknowledgement = "ACK"
    /// An acknowledgement is a line or two: more is not read.
    public static let acknowledgementLimit = 4096

    public init(root: String) {
        self.root = root
    }

    private var responses: String { BundleDrop.join(root, "responses") }
    private var done: String { BundleDrop.join(responses, "done") }

    /// The content of `batch`'s acknowledgement, or nil while there is none.
    public func acknowledgement(of batch: String, in drop: DropFolder) throws(DeliveryError) -> [UInt8]? {
        try drop.read(BundleDrop.join(BundleDrop.join(root, batch), Self.acknowledgement), limit: Self.acknowledgementLimit)
    }

    /// The response files waiting, oldest name first: `.csv` files, not hidden.
    public func responseFiles(in drop: DropFolder) throws(DeliveryError) -> [String] {
        try drop.files(in: responses).filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".csv") }
    }

    public func read(response name: String, in drop: DropFolder, limit: Int) throws(DeliveryError) -> [UInt8]? {
        try drop.read(BundleDrop.join(responses, name), limit: limit)
    }

    /// Moves a response file that was taken into `done/`.
    public func setAside(response name: String, sha256: String, in drop: DropFolder) throws(DeliveryError) {
        try drop.makeFolder(done)
        var target = BundleDrop.join(done, name)
        if try drop.size(of: target) != nil {
            target = BundleDrop.join(done, "\(name).\(sha256.prefix(12))")
            if try drop.size(of: target) != nil {
                // The same file, taken before and put back: it is set aside once already.
                try drop.remove(BundleDrop.join(responses, name))
                return
            }
        }
        try drop.rename(BundleDrop.join(responses, name), to: target)
    }
}
