import Foundation
import Testing
@testable import Courrier
import Bundling
import Letters
import Rendering
import Storage

/// The whole path on each store: an SQLite file and a PostgreSQL database.
@Suite struct PipelineTests {
    @Test(arguments: Backend.allCases) func aRunChargesEachLetterItsPriceAndBundlesThem(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        let documents = try room.folder.copyFixtureDocuments()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up-1")
        _ = try room.mailRoom.accounts.credit(account: "bakkerij-peeters", cents: 1000, reference: "top-up-2")
        let files = try FileManager.default.contentsOfDirectory(atPath: documents.path)
            .filter { $0.hasSuffix(".json") }.sorted().map { documents.appendingPathComponent($0) }
        _ = try room.mailRoom.queueing.enqueue(files: files)

        let report = try room.mailRoom.run()
        #expect(report.prepare == Preparing.Report(prepared: 5, failed: 0, awaitingFunds: 0))
        let bundle = try #require(report.bundles.first)
        #expect(report.bundles.count == 1)

        // acme: 2-page invoice 1.55, 1-page 1.45, 3-page 1.65; peeters: 2 pages 1.55, 1 page 1.45.
        #expect(try room.store.balance(account: "acme") == 1000 - 155 - 145 - 165)
        #expect(try room.store.balance(account: "bakkerij-peeters") == 1000 - 155 - 145)
        let debited = try ["acme", "bakkerij-peeters"].flatMap { try room.store.history(account: $0) }
            .filter { $0.kind == .debit }.reduce(0) { $0 - $1.amountCents }
        #expect(bundle.totals.amountCents == debited)

        // The bundle as the print shop gets it: the PDF has the pages the manifest says,
        // and each letter's first page shows its recipient.
        let pdf = try openPDF(bundle.folder.appendingPathComponent("letters.pdf"))
        #expect(pdf.pageCount == bundle.totals.pages)
        let manifest = try Manifest.read(bundle: bundle.folder)
        #expect(manifest.letters.map(\.sequence) == Array(1...5))
        #expect(manifest.letters.map(\.job) == bundle.letters.map(\.job))
        #expect(manifest.totals == bundle.totals && manifest.streams == bundle.streams)
        for letter in manifest.letters {
            let page = pdf.text(onPage: letter.firstPage - 1)
            #expect(page.contains(letter.recipient[0]), "page \(letter.firstPage) is not \(letter.document)'s first")
        }
        #expect(try sha256sumCheck(bundle.folder))
    }

    @Test(arguments: Backend.allCases) func aBadDocumentFailsAloneAndIsNotCharged(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        let documents = try room.folder.copyFixtureDocuments()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        let bad = try room.folder.write("documents/bad.json", try fixtureDocument { document in
            document["id"] = "INV-BAD"
            var recipient = document["recipient"] as! [String: Any]
            recipient["country"] = "FR"
            recipient["postal_code"] = "75001"
            recipient["city"] = "Paris"
            document["recipient"] = recipient
        })
        let missingTerms = try room.folder.write("documents/no-terms.json", try fixtureDocument { document in
            document["id"] = "INV-NO-TERMS"
            document["terms"] = ["pdf": "terms/missing.pdf"]
        })
        _ = try room.mailRoom.queueing.enqueue(files: [documents.appendingPathComponent("acme-invoice-fr.json"), bad,
                                              documents.appendingPathComponent("acme-entretien-fr.json"), missingTerms])
        let report = try room.mailRoom.run()

        #expect(report.prepare.prepared == 2)
        #expect(report.prepare.failed == 1)  // the one to France; the missing terms failed at intake
        #expect(report.bundles.first?.letters.map(\.document) == ["INV-2026-0116", "INV-2026-0117"])
        #expect(try room.store.balance(account: "acme") == 1000 - 155 - 145)
        let status = try room.store.status(failureLimit: 10)
        let reasons = Dictionary(uniqueKeysWithValues: status.failures.map { ($0.documentID, $0.reason ?? "") })
        #expect(reasons["INV-BAD"]?.contains("no price for letters to FR") == true)
        #expect(reasons["INV-NO-TERMS"]?.contains("terms.pdf is \"terms/missing.pdf\"") == true)
        let failedEvents = room.logLines.events.filter { $0["event"] as? String == "job.failed" }
        #expect(failedEvents.count == 2)
        #expect(failedEvents.allSatisfy { ($0["reason"] as? String)?.isEmpty == false })
    }

    @Test(arguments: Backend.allCases) func aShortWalletWaitsThenATopUpSendsTheLetter(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 100, reference: "small")
        let job = try #require(try room.enqueue(Paths.document("acme-invoice-fr.json")).first).job

        let first = try room.mailRoom.run()
        #expect(first.prepare.awaitingFunds == 1)
        #expect(first.bundles.isEmpty)
        #expect(try room.store.job(job.id)?.state == .awaitingFunds)
        #expect(try room.store.job(job.id)?.priceCents == 155)
        #expect(try room.store.balance(account: "acme") == 100)

        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 500, reference: "top-up")
        let second = try room.mailRoom.run()
        #expect(second.prepare.prepared == 1)
        #expect(second.bundles.first?.letters.map(\.job) == [job.id])
        #expect(try room.store.balance(account: "acme") == 600 - 155)
    }

    @Test(arguments: Backend.allCases) func enqueueingTheSameDocumentTwiceKeepsOneJob(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        let first = try #require(try room.enqueue(Paths.document("acme-invoice-fr.json")).first)
        let second = try #require(try room.enqueue(Paths.document("acme-invoice-fr.json")).first)
        #expect(first.created && !second.created)
        #expect(first.job.id == second.job.id)
        _ = try room.mailRoom.run()
        #expect(try room.enqueue(Paths.document("acme-invoice-fr.json")).first?.job.state == .bundled)
        #expect(try room.store.balance(account: "acme") == 1000 - 155)
    }

    @Test(arguments: Backend.allCases) func aSecondRunWithNothingQueuedCutsNoBundle(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.enqueue(Paths.document("acme-entretien-fr.json"))
        #expect(try room.mailRoom.run().bundles.count == 1)
        let again = try room.mailRoom.run()
        #expect(again.bundles.isEmpty)
        #expect(again.prepare == Preparing.Report())
        let bundles = try FileManager.default.contentsOfDirectory(atPath: room.folder.path("outbox"))
        #expect(bundles.count == 1)
        #expect(try room.store.balance(account: "acme") == 1000 - 145)
    }

    @Test(arguments: Backend.allCases) func cancellingAPreparedLetterRefundsItWithANewEntry(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        let job = try #require(try room.enqueue(Paths.document("acme-entretien-fr.json")).first).job
        _ = try room.mailRoom.prepareAll()
        #expect(try room.store.balance(account: "acme") == 855)
        #expect(try room.mailRoom.records.cancel(job: job.id) == .cancelled(refundedCents: 145))
        #expect(try room.store.balance(account: "acme") == 1000)
        let history = try room.store.history(account: "acme")
        #expect(history.map(\.kind) == [.credit, .debit, .refund])
        #expect(history[2].reverses == history[1].id)
        #expect(try room.mailRoom.run().bundles.isEmpty)
    }

    @Test(arguments: Backend.allCases) func aCreditIsCountedOncePerReference(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        #expect(try room.mailRoom.accounts.credit(account: "acme", cents: 2000, reference: "bank-2026-11-28-001") == .credited(balanceCents: 2000))
        #expect(try room.mailRoom.accounts.credit(account: "acme", cents: 2000, reference: "bank-2026-11-28-001") == .alreadyCredited(balanceCents: 2000))
        // The same reference for another amount is refused, naming what it credited.
        let error = #expect(throws: StoreError.self) {
            try room.mailRoom.accounts.credit(account: "acme", cents: 3000, reference: "bank-2026-11-28-001")
        }
        #expect(error?.code == .referenceUsed)
        #expect(error?.message.contains("already used to credit 20.00 to acme") == true, "\(String(describing: error))")
        #expect(try room.mailRoom.accounts.balance(account: "acme") == 2000)
    }

    @Test(arguments: Backend.allCases) func anUnfinishedCutIsRedoneWithTheSameLetters(backend: Backend) throws {
        let room = try TestMailRoom(backend: backend)
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.enqueue(Paths.document("acme-invoice-fr.json"), Paths.document("acme-entretien-fr.json"))
        _ = try room.mailRoom.prepareAll()
        // A cut opened and never finished, as a crash between the two leaves it:
        // its worker is gone and its lease has run out. SQLite counts leases from
        // the time it is given; PostgreSQL from its own clock, so there the lease is 0 s.
        let cut = try #require(try room.store.openCut(batchPrefix: "20261128-100000", worker: "gone-host:1",
                                                      lease: backend == .postgres ? 0 : 3600,
                                                      slot: nil, at: Date().addingTimeInterval(-7200)).cut)
        _ = try room.enqueue(Paths.document("acme-releve-mensuel-fr.json"))
        let report = try room.mailRoom.run()
        #expect(report.bundles.map(\.batch).first == cut.batch)
        #expect(report.bundles.map(\.totals.letters) == [2, 1])
        #expect(try room.store.unfinishedCuts().isEmpty)
    }
}

/// `sha256sum -c SHA256SUMS` in the bundle's folder, as a print shop checks it.
func sha256sumCheck(_ folder: URL) throws -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = ["--check", "--quiet", "SHA256SUMS"]
    process.currentDirectoryURL = folder
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus == 0
}
