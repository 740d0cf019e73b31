import Foundation
import Testing
@testable import Courrier
import Letters
import Storage

/// A document's folder is written by others: a file it names is opened once,
/// by descriptor, through no link, so what is checked is what is read.
@Suite struct SharedFolderTests {
    private func document(_ id: String, terms: String) throws -> String {
        try fixtureDocument("acme-entretien-fr.json") {
            $0["id"] = id
            $0["terms"] = ["pdf": terms]
        }
    }

    @Test func aLinkSwappedInALoopNeverBringsAFileFromOutside() throws {
        let room = try TestMailRoom()
        let documents = try room.folder.copyFixtureDocuments()
        let outside = try TemporaryFolder()
        // One page inside, two outside: a stored copy of the outside file would show.
        let secret = outside.url.appendingPathComponent("secret.pdf")
        try FileManager.default.copyItem(at: Paths.fixtures.appendingPathComponent("terms/rotated-landscape-letter.pdf"), to: secret)
        let terms = documents.appendingPathComponent("terms/swapped.pdf")
        let inside = documents.appendingPathComponent("terms/acme-cgv.pdf")
        let staged = documents.appendingPathComponent("terms/.staged")
        try FileManager.default.copyItem(at: inside, to: terms)
        var files: [URL] = []
        for index in 0..<60 {
            files.append(try room.folder.write("documents/swap-\(index).json", document("SWAP-\(index)", terms: "terms/swapped.pdf")))
        }

        let swapping = SwapLoop()
        let thread = Thread {
            while !swapping.done {
                // rename(2) replaces the name in one step: at every moment it is the file or the link.
                _ = unlink(staged.path)
                _ = symlink(secret.path, staged.path)
                _ = rename(staged.path, terms.path)
                try? FileManager.default.copyItem(at: inside, to: staged)
                _ = rename(staged.path, terms.path)
            }
        }
        thread.start()
        let results = try room.mailRoom.queueing.enqueue(files: files)
        swapping.done = true
        Thread.sleep(forTimeInterval: 0.05)

        let expected = try #require(try room.enqueue(try room.folder.write("documents/plain.json",
                                                                            document("PLAIN", terms: "terms/acme-cgv.pdf"))).first)
        var queued = 0, refused = 0
        for result in results {
            guard case .queued(let outcome) = result else { Issue.record("\(result)"); continue }
            if outcome.job.state == .failed {
                refused += 1
                #expect(outcome.job.reason?.contains("is a symbolic link") == true, "\(outcome.job.reason ?? "")")
            } else {
                queued += 1
                #expect(outcome.job.termsHash == expected.job.termsHash, "only the folder's own file is ever stored")
            }
        }
        #expect(queued + refused == 60)
        #expect(queued > 0, "the file is read whenever it is the file")
    }

    @Test func aHardLinkOrAFIFOIsRefusedNamingIt() throws {
        let room = try TestMailRoom()
        let documents = try room.folder.copyFixtureDocuments()
        let outside = try TemporaryFolder()
        let secret = outside.url.appendingPathComponent("secret.pdf")
        try FileManager.default.copyItem(at: documents.appendingPathComponent("terms/acme-cgv.pdf"), to: secret)
        let linked = documents.appendingPathComponent("terms/linked.pdf").path
        guard link(secret.path, linked) == 0 else {
            Issue.record("no hard link between temporary folders: \(String(cString: strerror(errno)))")
            return
        }
        #expect(mkfifo(documents.appendingPathComponent("terms/fifo.pdf").path, 0o600) == 0)
        #expect(mkfifo(documents.appendingPathComponent("fifo.json").path, 0o600) == 0)
        try FileManager.default.createDirectory(at: outside.url.appendingPathComponent("terms"), withIntermediateDirectories: true)
        #expect(symlink(outside.url.appendingPathComponent("terms").path, documents.appendingPathComponent("elsewhere").path) == 0)

        let results = try room.mailRoom.queueing.enqueue(files: [
            try room.folder.write("documents/hard.json", document("HARD", terms: "terms/linked.pdf")),
            try room.folder.write("documents/fifo-terms.json", document("FIFO", terms: "terms/fifo.pdf")),
            try room.folder.write("documents/through.json", document("THROUGH", terms: "elsewhere/secret.pdf")),
            documents.appendingPathComponent("fifo.json"),
            documents.appendingPathComponent("acme-invoice-fr.json"),
        ])
        func reason(_ index: Int) -> String {
            switch results[index] {
            case .rejected(_, let reason): reason
            case .queued(let outcome): outcome.job.reason ?? "queued"
            }
        }
        #expect(reason(0).contains("terms.pdf is \"terms/linked.pdf\", which has 2 names (hard links)"), "\(reason(0))")
        #expect(reason(1).contains("which is not a regular file"), "\(reason(1))")
        #expect(reason(2).contains("passes through \"elsewhere\", which is a link"), "\(reason(2))")
        #expect(reason(3) == "cannot read the file: it is not a regular file", "\(reason(3))")
        #expect(reason(4) == "queued", "the good letter beside them is queued")
    }
}

/// A flag the swapping thread reads; set once by the test.
private final class SwapLoop: @unchecked Sendable {
    // @unchecked Sendable: a single word written by one thread, read by the other.
    var done = false
}
