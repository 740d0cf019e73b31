import Foundation
import Testing
@testable import Courrier
@testable import Delivery

/// A mail room with one bundle cut from two fixture letters. Its store and
/// outbox live in `folder` (the SSH server's, for SFTP tests), which outlives
/// the mail room.
func roomWithBundle(in folder: TemporaryFolder? = nil,
                    configure: (inout Configuration) -> Void = { _ in }) throws -> (TestMailRoom, URL, String) {
    let room = try TestMailRoom(folder: folder, configure: configure)
    let documents = try room.folder.copyFixtureDocuments()
    _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
    _ = try room.enqueue(documents.appendingPathComponent("acme-invoice-fr.json"),
                         documents.appendingPathComponent("acme-entretien-fr.json"))
    _ = try room.mailRoom.prepareAll()
    let bundle = try #require(try room.mailRoom.cut().first)
    return (room, bundle.folder, bundle.batch)
}

/// A drop that forwards every operation to a real one and writes down the
/// ones that change something, so that a test can check their order.
final class RecordingDrop: DropFolder {
    enum Operation: Equatable {
        case makeFolder(String)
        case upload(String, from: Int64)
        case write(String)
        case rename(String, String)
        case remove(String)
    }

    let inner: DropFolder
    private(set) var operations: [Operation] = []

    init(_ inner: DropFolder) {
        self.inner = inner
    }

    func size(of path: String) throws(DeliveryError) -> Int64? { try inner.size(of: path) }
    func availableBytes(at path: String) -> Int64? { inner.availableBytes(at: path) }
    func files(in path: String) throws(DeliveryError) -> [String] { try inner.files(in: path) }
    func read(_ path: String, limit: Int) throws(DeliveryError) -> [UInt8]? { try inner.read(path, limit: limit) }

    func makeFolder(_ path: String) throws(DeliveryError) {
        operations.append(.makeFolder(path))
        try inner.makeFolder(path)
    }

    func upload(_ file: URL, to path: String, from offset: Int64) throws(DeliveryError) {
        operations.append(.upload(path, from: offset))
        try inner.upload(file, to: path, from: offset)
    }

    func write(_ bytes: [UInt8], to path: String) throws(DeliveryError) {
        operations.append(.write(path))
        try inner.write(bytes, to: path)
    }

    func rename(_ path: String, to newPath: String) throws(DeliveryError) {
        operations.append(.rename(path, newPath))
        try inner.rename(path, to: newPath)
    }

    func remove(_ path: String) throws(DeliveryError) {
        operations.append(.remove(path))
        try inner.remove(path)
    }

    func close() { inner.close() }
}

/// Work run on a thread of its own while the test does something else.
final class BackgroundWork<Value>: @unchecked Sendable {
    // @unchecked Sendable: `work` is read by the worker thread only, and
    // `result` is written by it before `done` is signalled and read after.
    private let done = DispatchSemaphore(value: 0)
    private var work: (() throws -> Value)?
    private var result: Result<Value, any Error>?

    init(_ work: @escaping () throws -> Value) {
        self.work = work
        Thread { [self] in
            result = Result { try self.work!() }
            self.work = nil
            done.signal()
        }.start()
    }

    func wait() -> Result<Value, any Error> {
        done.wait()
        done.signal()
        return result!
    }
}

/// The names of the files in a folder, hidden ones included.
func fileNames(_ folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
}
