import Foundation
import Testing
@testable import Courrier
@testable import Delivery

/// Anyone who can write to the print shop's share may plant links in it for
/// the coming batch names. Courrier writes through none of them and leaves
/// what they point at as it was.
@Suite struct FolderDropTests {
    private func digest(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    private func mode(_ path: String) -> mode_t {
        var status = stat()
        _ = lstat(path, &status)
        return status.st_mode & 0o7777
    }

    @Test func aLinkPlantedAtThePartialNameIsNotWrittenThrough() throws {
        let share = try TemporaryFolder()
        let (room, _, batch) = try roomWithBundle { $0.deliverURL = "file://\(share.url.path)" }
        let store = room.mailRoom.configuration.database
        let before = try digest(store)
        let planted = share.url.appendingPathComponent(batch)
        try FileManager.default.createDirectory(at: planted, withIntermediateDirectories: false)
        #expect(symlink(store, planted.appendingPathComponent(".letters.pdf.partial").path) == 0)

        let report = try room.mailRoom.deliver(ignoringBackoff: true)
        #expect(report.delivered.isEmpty)
        let failure = try #require(report.failed.first)
        #expect("\(failure.error)".contains(".letters.pdf.partial is a symbolic link"), "\(failure.error)")
        #expect(try digest(store) == before, "the store the link names is untouched")
        #expect(try room.mailRoom.records.status().report.jobs[.bundled] == 2, "the store still reads")

        // Once the share is cleaned, the bundle goes out as usual.
        try FileManager.default.removeItem(at: planted.appendingPathComponent(".letters.pdf.partial"))
        let again = try room.mailRoom.deliver(ignoringBackoff: true)
        #expect(again.delivered.map(\.batch) == [batch])
        #expect(try sha256sumCheck(planted))
    }

    @Test func aLinkPlantedForTheBatchFolderLeadsNowhere() throws {
        let share = try TemporaryFolder()
        let elsewhere = try TemporaryFolder()
        let (room, _, batch) = try roomWithBundle { $0.deliverURL = "file://\(share.url.path)" }
        #expect(symlink(elsewhere.url.path, share.path(batch)) == 0)

        let report = try room.mailRoom.deliver(ignoringBackoff: true)
        #expect(report.delivered.isEmpty)
        #expect("\(try #require(report.failed.first).error)".contains("follows no link"))
        #expect(fileNames(elsewhere.url).isEmpty, "nothing was written where the link points")
    }

    @Test func aHardLinkAtThePartialNameIsNotResumed() throws {
        let share = try TemporaryFolder()
        let victim = try TemporaryFolder()
        let (room, bundle, batch) = try roomWithBundle { $0.deliverURL = "file://\(share.url.path)" }
        // Small enough to look like an upload cut short, on the same file system.
        try Data("do not touch".utf8).write(to: victim.url.appendingPathComponent("secret"))
        let remote = share.url.appendingPathComponent(batch)
        try FileManager.default.createDirectory(at: remote, withIntermediateDirectories: false)
        let partial = remote.appendingPathComponent(".letters.pdf.partial").path
        guard link(victim.path("secret"), partial) == 0 else {
            Issue.record("no hard link across these folders: \(String(cString: strerror(errno)))")
            return
        }
        let report = try room.mailRoom.deliver(ignoringBackoff: true)
        #expect(report.delivered.isEmpty)
        #expect("\(try #require(report.failed.first).error)".contains("not a plain file of this bundle's upload"))
        #expect(try String(contentsOfFile: victim.path("secret"), encoding: .utf8) == "do not touch")
        _ = bundle
    }

    @Test func filesAreForThePrintShopsGroupAlone() throws {
        let share = try TemporaryFolder()
        let (room, _, batch) = try roomWithBundle { $0.deliverURL = "file://\(share.url.path)" }
        let report = try room.mailRoom.deliver(ignoringBackoff: true)
        #expect(report.delivered.map(\.batch) == [batch])
        let remote = share.url.appendingPathComponent(batch)
        #expect(mode(remote.path) == 0o750)
        for name in fileNames(remote) {
            #expect(mode(remote.appendingPathComponent(name).path) == 0o640, "\(name)")
        }

        let shared = try TemporaryFolder()
        let (other, _, otherBatch) = try roomWithBundle {
            $0.deliverURL = "file://\(shared.url.path)"
            $0.dropMode = try! #require(DropMode.parse("0660"))
        }
        #expect(try other.mailRoom.deliver(ignoringBackoff: true).delivered.count == 1)
        #expect(mode(shared.path(otherBatch)) == 0o770)
        #expect(mode(shared.url.appendingPathComponent(otherBatch).appendingPathComponent("letters.pdf").path) == 0o660)
    }

    @Test(arguments: ["0644", "0600x", "0755", "4640", "0440", "", "99999"])
    func modesOthersCouldReadAreRefused(text: String) throws {
        #expect(DropMode.parse(text) == nil)
        if !text.isEmpty {
            let error = #expect(throws: MailRoomError.self) {
                _ = try Configuration.fromEnvironment(["COURRIER_DROP_MODE": text])
            }
            #expect(error?.message.contains("COURRIER_DROP_MODE is \"\(text)\"") == true)
        }
    }

    @Test func aResumedUploadKeepsWhatWasSentAndAddsTheRest() throws {
        let share = try TemporaryFolder()
        let (room, bundle, batch) = try roomWithBundle { $0.deliverURL = "file://\(share.url.path)" }
        let letters = try Data(contentsOf: bundle.appendingPathComponent("letters.pdf"))
        let remote = share.url.appendingPathComponent(batch)
        try FileManager.default.createDirectory(at: remote, withIntermediateDirectories: false)
        try letters.prefix(1000).write(to: remote.appendingPathComponent(".letters.pdf.partial"))
        let drop = RecordingDrop(FolderDrop(root: share.url.path))
        let receipt = try BundleDrop(root: share.url.path).deliver(bundle: bundle, batch: batch, to: drop)
        #expect(receipt.bytesKept == 1000)
        #expect(drop.operations.contains(.upload(remote.appendingPathComponent(".letters.pdf.partial").path, from: 1000)))
        #expect(try Data(contentsOf: remote.appendingPathComponent("letters.pdf")) == letters)
        _ = room
    }
}
