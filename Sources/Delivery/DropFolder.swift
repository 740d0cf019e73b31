import Foundation

/// The far side of a hand-off, as the drop rules use it: a few operations on
/// the paths of one destination. `BundleDrop` holds the rules; an SFTP server
/// and a mounted folder each provide these operations.
public protocol DropFolder: AnyObject {
    /// The size of the file at `path`, or nil when there is none.
    func size(of path: String) throws(DeliveryError) -> Int64?

    /// Creates the folder `path` unless it exists; its parent must exist.
    func makeFolder(_ path: String) throws(DeliveryError)

    /// Free bytes where `path` lives, when the destination can tell.
    func availableBytes(at path: String) -> Int64?

    /// Writes the local file from byte `offset` on into `path` at the same
    /// offset, then makes it durable. At offset 0 the file is created or
    /// emptied first; past 0 it holds the first `offset` bytes already.
    func upload(_ file: URL, to path: String, from offset: Int64) throws(DeliveryError)

    /// Writes `bytes` as the whole content of `path`, durably.
    func write(_ bytes: [UInt8], to path: String) throws(DeliveryError)

    /// Renames `path` to `newPath`, which must not exist.
    func rename(_ path: String, to newPath: String) throws(DeliveryError)

    /// Removes the file at `path`.
    func remove(_ path: String) throws(DeliveryError)

    /// The names of the plain files in the folder `path`, sorted; empty when
    /// it does not exist. Links and folders in it are passed over.
    func files(in path: String) throws(DeliveryError) -> [String]

    /// The content of the plain file at `path`, or nil when there is none.
    /// A file larger than `limit`, or a link, is refused unread.
    func read(_ path: String, limit: Int) throws(DeliveryError) -> [UInt8]?

    /// Ends the connection; the drop is not used afterwards.
    func close()
}
