import Foundation
import Testing
@testable import Courrier
import Bundling
import Letters
@testable import Storage

/// A letter that was charged and then cannot be drawn at the cut is the
/// letter's failure: it is taken out of the cut, refunded and failed with
/// its reason, and the others are bundled, on both stores, whether the
/// cut is drawn in this process or in part processes.
@Suite struct CutWithdrawalTests {
    /// The fixture invoice as an earlier Courrier accepted it, and as this
    /// one refuses it: a sender's name of four letters and 2,000 accents.
    static func documentThatNoLongerReads(id: String) throws -> [UInt8] {
        Array(try fixtureDocument {
            $0["id"] = id
            var sender = $0["sender"] as? [String: Any] ?? [:]
            sender["name"] = "Acme" + String(repeating: "\u{0301}", count: 2000)
            $0["sender"] = sender
        }.utf8)
    }

    /// Replaces a queued letter's stored document past Courrier's code, as
    /// the store of an earlier version holds it: without the checked letter beside it.
    static func replaceDocument(of job: Int64, with document: [UInt8], in store: LetterStore) throws {
        let hex = document.map { String(format: "%02x", $0) }.joined()
        switch store {
        case let sqlite as SQLiteStore:
            try sqlite.connection.execute("UPDATE jobs SET document = X'\(hex)', letter = NULL WHERE id = \(job)")
        case let postgres as PostgresStore:
            try postgres.connection.execute("UPDATE jobs SET document = '\\x\(hex)'::bytea, letter = NULL WHERE id = \(job)")
        default:
            throw TestFailure("unknown store")
        }
    }

    @Test(arguments: Backend.allCases, [false, true])
    func aLetterThatCannotBeDrawnAtTheCutIsRefundedAndTheOthersAreBundled(backend: Backend, inParts: Bool) throws {
        let room = try TestMailRoom(backend: backend) { configuration in
            if inParts {
                configuration.sheetsPerFile = 3
                configuration.threads = 2
            }
        }
        _ = try room.folder.copyFixtureDocuments()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 10_000, reference: "top-up")
        var files: [URL] = []
        for index in 0..<8 {
            files.append(try room.folder.write("documents/letter-\(index).json", try fixtureDocument("acme-entretien-fr.json") {
                $0["id"] = "CUT-\(index)"
            }))
        }
        let jobs = try files.map { try #require(try room.enqueue($0).first).job.id }
        #expect(try room.mailRoom.prepareAll().prepared == 8)
        let balance = try room.store.balance(account: "acme")
        #expect(balance == 10_000 - 8 * 145)
        let poisoned = [jobs[2], jobs[5]]
        for job in poisoned {
            try Self.replaceDocument(of: job, with: try Self.documentThatNoLongerReads(id: "CUT-\(job)"), in: room.store)
        }

        let bundles = try room.mailRoom.cut()
        let bundle = try #require(bundles.first)
        #expect(bundles.count == 1)
        #expect(Set(bundle.letters.map(\.job)) == Set(jobs).subtracting(poisoned))
        let manifest = try Manifest.read(bundle: bundle.folder)
        #expect(manifest.totals.letters == 6 && manifest.totals.amountCents == 6 * 145)
        #expect(try openPDF(bundle.folder.appendingPathComponent(manifest.streams[0].file)).pageCount > 0)
        #expect(try sha256sumCheck(bundle.folder))

        // Refunded by entries pointing at their debits; failed with the reason.
        #expect(try room.store.balance(account: "acme") == balance + 2 * 145)
        let history = try room.store.history(account: "acme")
        for job in poisoned {
            let failed = try #require(try room.store.job(job))
            #expect(failed.state == .failed && failed.batch == nil)
            #expect(failed.reason?.contains("sender.name is 2004 code points long") == true, "\(failed.reason ?? "")")
            let debit = try #require(history.first { $0.kind == .debit && $0.job == job })
            #expect(history.contains { $0.kind == .refund && $0.reverses == debit.id && $0.amountCents == 145 })
        }
        // Nothing is left to cut, and the next run has nothing stuck before it.
        #expect(try room.store.unfinishedCuts().isEmpty)
        #expect(try room.mailRoom.cut().isEmpty)
        let events = room.logLines.events.filter { $0["event"] as? String == "job.failed" }
        #expect(Set(events.compactMap { ($0["job"] as? NSNumber)?.int64Value }) == Set(poisoned))
    }

    @Test(arguments: Backend.allCases)
    func aCutWhoseEveryLetterFailsIsRemovedAndTheNextCutGoesOn(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        _ = try room.folder.copyFixtureDocuments()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1_000, reference: "top-up")
        let first = try room.folder.write("documents/only.json", try fixtureDocument("acme-entretien-fr.json") { $0["id"] = "ONLY" })
        let job = try #require(try room.enqueue(first).first).job.id
        #expect(try room.mailRoom.prepareAll().prepared == 1)
        try Self.replaceDocument(of: job, with: try Self.documentThatNoLongerReads(id: "ONLY"), in: room.store)
        #expect(try room.mailRoom.cut().isEmpty)
        #expect(try room.store.unfinishedCuts().isEmpty)
        #expect(try room.store.balance(account: "acme") == 1_000)

        let next = try room.folder.write("documents/next.json", try fixtureDocument("acme-entretien-fr.json") { $0["id"] = "NEXT" })
        _ = try room.enqueue(next)
        #expect(try room.mailRoom.prepareAll().prepared == 1)
        let bundle = try #require(try room.mailRoom.cut().first)
        #expect(bundle.letters.map(\.document) == ["NEXT"])
    }
}
