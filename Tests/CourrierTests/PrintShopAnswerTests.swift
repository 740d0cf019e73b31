import Foundation
import Testing
@testable import Courrier
import Delivery
import Bundling
import Letters
@testable import Storage

/// The print shop answers through the drop: an `ACK` for each bundle it
/// took in, and response files with a line a letter. The test plays the
/// print shop, on a mounted folder and on a real sshd.
@Suite struct PrintShopAnswerTests {
    /// Where the print shop's files go: the drop's folder on this machine.
    struct PrintShop {
        let folder: URL
        /// Makes a file the way the print shop would, and lets the drop's user take it away.
        let write: (String, String) throws -> Void
    }

    /// Three letters delivered to the drop in one bundle.
    static func delivered(_ room: TestMailRoom) throws -> String {
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1_000, reference: "acme-1")
        _ = try room.mailRoom.accounts.credit(account: "bakkerij-peeters", cents: 1_000, reference: "peeters-1")
        _ = try room.enqueue(Paths.document("acme-invoice-fr.json"), Paths.document("acme-entretien-fr.json"),
                             Paths.document("peeters-factuur-nl.json"))
        let report = try room.mailRoom.run()
        let batch = try #require(report.bundles.first?.batch)
        #expect(report.delivery?.delivered.map(\.batch) == [batch])
        return batch
    }

    static func answers(in room: TestMailRoom, _ kinds: Set<LetterEvent.Kind>) throws -> [LetterEvent] {
        try room.store.events(after: 0, account: nil, job: nil, limit: 1_000).filter { kinds.contains($0.kind) }
    }

    /// The whole contract, run the same on both transports.
    static func playTheContract(room: TestMailRoom, shop: PrintShop) throws {
        let batch = try delivered(room)
        // Nothing yet: nothing happens.
        var report = try room.mailRoom.takeAnswers()
        #expect(report.acknowledged.isEmpty && report.files.isEmpty)

        try shop.write("\(batch)/ACK", "JOB-88123 received by Imprimerie Delcourt\n")
        try shop.write("responses/2026-12-08.csv", """
            batch,sequence,status,date,reason,operator\r
            \(batch),1,posted,2026-12-08,,M. Peeters\r
            \(batch),2,spoiled,2026-12-08T11:20:00+01:00,"jammed in the folder, sheet 2",line 3\r
            \(batch),3,returned,2026-12-09,"inconnu à cette adresse",\r
            NO-SUCH-BATCH,1,posted,2026-12-08,,\r
            \(batch),99,posted,2026-12-08,,\r
            \(batch),1,lost,2026-12-08,,\r
            \(batch),1,posted,8/12/2026,,\r

            """)
        report = try room.mailRoom.takeAnswers()
        #expect(report.acknowledged == [batch])
        #expect(report.files == ["2026-12-08.csv"] && report.applied == 3, "\(report)")
        #expect(report.problems == [
            "2026-12-08.csv line 5: there is no bundle NO-SUCH-BATCH",
            "2026-12-08.csv line 6: bundle \(batch) has no letter 99",
            "2026-12-08.csv line 7: status is \"lost\", expected posted, spoiled or returned",
            "2026-12-08.csv line 8: date is \"8/12/2026\", expected an ISO 8601 date such as 2026-12-08",
        ], "\(report.problems)")
        let acknowledged = try answers(in: room, [.acknowledged])
        #expect(acknowledged.count == 3 && acknowledged.allSatisfy { $0.details["batch"] == .string(batch) })
        let told = try answers(in: room, [.posted, .spoiled, .returned])
        #expect(told.map(\.kind) == [.posted, .spoiled, .returned])
        #expect(told[0].details["date"] == .string("2026-12-08") && told[0].details["line"] == .integer(2))
        #expect(told[1].details["reason"] == .string("jammed in the folder, sheet 2"))
        #expect(told[2].details["reason"] == .string("inconnu à cette adresse") && told[2].details["date"] == .string("2026-12-09"))
        // Each letter's sequence is its place in the manifest.
        let manifest = try Manifest.read(bundle: shop.folder.appendingPathComponent(batch))
        #expect(told.map(\.job) == manifest.letters.sorted { $0.sequence < $1.sequence }.map(\.job))

        // The spoiled letter is printed again in the next cut: the same pages, a new sequence, not charged again.
        let spoiled = told[1].job
        let balance = try room.store.balance(account: "acme")
        let rerun = try room.mailRoom.run()
        let reprintBatch = try #require(rerun.bundles.first?.batch)
        let reprinted = try Manifest.read(bundle: shop.folder.appendingPathComponent(reprintBatch))
        #expect(reprinted.letters.map(\.job) == [spoiled])
        #expect(reprinted.letters.first?.reprintOf == Reprint(batch: batch, sequence: 2))
        #expect(reprinted.letters.first?.priceCents == 0 && reprinted.totals.amountCents == 0)
        #expect(reprinted.letters.first?.pages == manifest.letters.first { $0.job == spoiled }?.pages)
        let csv = try String(contentsOf: shop.folder.appendingPathComponent("\(reprintBatch)/manifest.csv"), encoding: .utf8)
        #expect(csv.hasSuffix(",\(batch),2\r\n") && csv.contains("reprint_of_batch,reprint_of_sequence\r\n"), "\(csv)")
        let check = try runTool("/usr/bin/sha256sum", ["-c", "SHA256SUMS"], in: shop.folder.appendingPathComponent(reprintBatch))
        #expect(check.status == 0, "\(check.output)")
        #expect(try room.store.balance(account: "acme") == balance)
        #expect(try room.store.history(account: "acme").filter { $0.job == spoiled && $0.kind == .debit }.count == 1)
        #expect(try room.store.events(after: 0, account: nil, job: spoiled, limit: 100).map(\.kind)
                == [.queued, .prepared, .bundled, .delivered, .acknowledged, .spoiled, .bundled, .delivered])

        // The file was set aside; the acknowledgement is kept and read once.
        let responses = shop.folder.appendingPathComponent("responses")
        #expect(try FileManager.default.contentsOfDirectory(atPath: responses.path).sorted() == ["done"])
        #expect(FileManager.default.fileExists(atPath: responses.appendingPathComponent("done/2026-12-08.csv").path))

        // The same file sent again is taken once: nothing applies, nothing is refused, and it leaves the folder.
        let original = try String(contentsOf: responses.appendingPathComponent("done/2026-12-08.csv"), encoding: .utf8)
        try shop.write("responses/2026-12-08.csv", original)
        report = try room.mailRoom.takeAnswers()
        #expect(report.files.isEmpty && report.applied == 0 && report.problems.isEmpty, "\(report)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: responses.path) == ["done"])

        // The same lines under another name apply once; a letter never goes back.
        try shop.write("responses/2026-12-08-again.csv", """
            batch,sequence,status,date,reason
            \(batch),1,posted,2026-12-08,
            \(batch),1,posted,2026-12-10,
            \(batch),3,posted,2026-12-10,
            \(batch),1,returned,2026-12-20,destinataire parti

            """)
        report = try room.mailRoom.takeAnswers()
        #expect(report.acknowledged.isEmpty && report.applied == 1 && report.repeated == 1, "\(report)")
        #expect(report.problems == [
            "2026-12-08-again.csv line 3: letter 1 of bundle \(batch) was already posted on 2026-12-08; an answer never moves a letter back",
            "2026-12-08-again.csv line 4: letter 3 of bundle \(batch) was already returned on 2026-12-09; an answer never moves a letter back",
        ], "\(report.problems)")
        #expect(try answers(in: room, [.posted, .spoiled, .returned]).map(\.kind) == [.posted, .spoiled, .returned, .returned])

        // `courrier letter` says the print shop's last word.
        let returnedStory = Output(json: false).letter(try room.mailRoom.stories.story(of: .job(told[2].job))).text
        #expect(returnedStory.contains("  delivered, returned on 2026-12-09\n"), "\(returnedStory)")

        // Finance: per bundle and account, and the sums are the ledger's to the cent.
        let reconciliation = try room.mailRoom.records.reconcile(month: nil)
        let ledger = try ["acme", "bakkerij-peeters"].flatMap { try room.store.history(account: $0) }
        let debits = -ledger.filter { $0.kind == .debit }.reduce(0) { $0 + $1.amountCents }
        let refunds = ledger.filter { $0.kind == .refund }.reduce(0) { $0 + $1.amountCents }
        #expect(reconciliation.debitedCents == debits && reconciliation.rows.reduce(0) { $0 + $1.chargedCents } == debits)
        #expect(reconciliation.refundedCents == refunds && reconciliation.rows.reduce(0) { $0 + $1.refundedCents } == refunds)
        let first = reconciliation.rows.filter { $0.batch == batch }
        #expect(first.map(\.account) == ["acme", "bakkerij-peeters"])
        #expect(first.reduce(0) { $0 + $1.letters } == 3 && first.reduce(0) { $0 + $1.returned } == 2
                && first.reduce(0) { $0 + $1.spoiled } == 1 && first.reduce(0) { $0 + $1.posted } == 0, "\(first)")
        let again = try #require(reconciliation.rows.first { $0.batch == reprintBatch })
        #expect(again.letters == 1 && again.reprints == 1 && again.chargedCents == 0 && again.unanswered == 1, "\(again)")
        #expect(try room.mailRoom.records.reconcile(month: "2001-01").rows.isEmpty)
        let output = Captured()
        let status = CourrierCommand(arguments: ["reconcile", "--csv"], environment: ["COURRIER_DATABASE": room.database],
                                     standardOutput: { output.append($0) }, standardError: { _ in }).run()
        #expect(status == 0)
        let lines = output.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == "bundle,account,letters,sheets,charged,refunded,reprints,posted,spoiled,returned,unanswered")
        #expect(lines.last?.hasPrefix("total,,4,") == true && lines.last?.contains(Cents.decimalString(debits)) == true, "\(lines)")
    }

    @Test(arguments: Backend.allCases)
    func aFolderDropsAnswersMoveTheLettersOnce(backend: Backend) throws {
        let folder = try TemporaryFolder()
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        let room = try TestMailRoom(folder: folder, backend: backend) { $0.deliverURL = "file://\(drop.path)" }
        try Self.playTheContract(room: room, shop: PrintShop(folder: drop) { path, text in
            let file = drop.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        })
    }

    @Test func anSFTPDropsAnswersMoveTheLettersOnce() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let room = try TestMailRoom(folder: server.folder) { configuration in
            configuration.deliverURL = server.destination()
            configuration.sshKey = server.ed25519Key
            configuration.knownHosts = server.knownHosts
        }
        let responses = try server.makeFolder("drop/responses")
        try Self.playTheContract(room: room, shop: PrintShop(folder: server.drop) { path, text in
            let file = server.drop.appendingPathComponent(path)
            try Data(text.utf8).write(to: file)
            chmod(file.path, 0o644)
        })
        #expect(FileManager.default.fileExists(atPath: responses.appendingPathComponent("done/2026-12-08-again.csv").path))
    }

    @Test(arguments: Backend.allCases)
    func aReturnedAddressIsHeldForTheAccountUntilItChangesOrIsReleased(backend: Backend) throws {
        let folder = try TemporaryFolder()
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop.appendingPathComponent("responses"), withIntermediateDirectories: true)
        let room = try TestMailRoom(folder: folder, backend: backend) { $0.deliverURL = "file://\(drop.path)" }
        // Beside the fixtures, so that the terms they name are found.
        _ = try folder.copyFixtureDocuments()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1_000, reference: "acme-1")
        let returned = try #require(try room.enqueue(Paths.document("acme-invoice-fr.json")).first).job.id
        let batch = try #require(try room.mailRoom.run().bundles.first?.batch)
        try Data("batch,sequence,status,date,reason\n\(batch),1,returned,2026-12-21,inconnu à cette adresse\n".utf8)
            .write(to: drop.appendingPathComponent("responses/returns.csv"))
        #expect(try room.mailRoom.takeAnswers().applied == 1)

        // The next letter to the same address, written another way, fails uncharged, saying why.
        let again = try folder.write("documents/again.json", try fixtureDocument {
            $0["id"] = "INV-AGAIN"
            var recipient = $0["recipient"] as? [String: Any] ?? [:]
            recipient["name"] = (recipient["name"] as? String ?? "").uppercased()
            recipient["street"] = ((recipient["street"] as? String) ?? "").replacingOccurrences(of: " ", with: "  ") + "."
            $0["recipient"] = recipient
        })
        let balance = try room.store.balance(account: "acme")
        let held = try #require(try room.enqueue(again).first).job.id
        _ = try room.mailRoom.prepareAll()
        let failed = try #require(try room.store.job(held))
        #expect(failed.state == .failed && failed.reason?.hasPrefix("a letter to this address") == true, "\(failed)")
        #expect(failed.reason?.contains("came back on 2026-12-21: inconnu à cette adresse") == true, "\(failed.reason ?? "")")
        #expect(failed.reason?.contains("courrier address release acme \(returned)") == true)
        #expect(try room.store.balance(account: "acme") == balance)
        #expect(try room.mailRoom.accounts.addressHolds(account: "acme").map(\.job) == [returned])

        // A corrected address goes out.
        let moved = try folder.write("documents/moved.json", try fixtureDocument {
            $0["id"] = "INV-MOVED"
            var recipient = $0["recipient"] as? [String: Any] ?? [:]
            recipient["street"] = "Rue Neuve 1"
            $0["recipient"] = recipient
        })
        _ = try room.enqueue(moved)
        #expect(try room.mailRoom.prepareAll().prepared == 1)

        // Once the account lifts the hold, the old address goes out too.
        try room.mailRoom.accounts.releaseAddressHold(account: "acme", job: returned)
        #expect(try room.mailRoom.accounts.addressHolds(account: "acme").isEmpty)
        let released = try folder.write("documents/released.json", try fixtureDocument { $0["id"] = "INV-RELEASED" })
        _ = try room.enqueue(released)
        #expect(try room.mailRoom.prepareAll().prepared == 1)
        #expect(throws: MailRoomError.self) { try room.mailRoom.accounts.releaseAddressHold(account: "acme", job: returned) }
    }

    @Test func aLetterSpoiledMoreOftenThanItIsPrintedAgainFailsRefunded() throws {
        let folder = try TemporaryFolder()
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop.appendingPathComponent("responses"), withIntermediateDirectories: true)
        let room = try TestMailRoom(folder: folder) { $0.deliverURL = "file://\(drop.path)" }
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1_000, reference: "acme-1")
        let job = try #require(try room.enqueue(Paths.document("acme-invoice-fr.json")).first).job.id
        var batch = try #require(try room.mailRoom.run().bundles.first?.batch)
        for round in 1...3 {
            try Data("batch,sequence,status,date,reason\n\(batch),1,spoiled,2026-12-0\(round),torn\n".utf8)
                .write(to: drop.appendingPathComponent("responses/spoiled-\(round).csv"))
            #expect(try room.mailRoom.takeAnswers().applied == 1)
            if round < 3 {
                batch = try #require(try room.mailRoom.run().bundles.first?.batch, "round \(round) printed nothing again")
            }
        }
        let failed = try #require(try room.store.job(job))
        #expect(failed.state == .failed && failed.reason?.contains("spoiled it 3 times") == true, "\(failed)")
        #expect(try room.store.balance(account: "acme") == 1_000)
        #expect(try room.mailRoom.run().bundles.isEmpty)
    }

    @Test func aFileThatIsNotAResponseFileChangesNothingAndTheOthersApply() throws {
        let folder = try TemporaryFolder()
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop.appendingPathComponent("responses"), withIntermediateDirectories: true)
        let room = try TestMailRoom(folder: folder) { $0.deliverURL = "file://\(drop.path)" }
        let batch = try Self.delivered(room)
        let responses = drop.appendingPathComponent("responses")
        try Data([0xFF, 0xFE, 0x00, 0x41]).write(to: responses.appendingPathComponent("a-binary.csv"))
        try Data("lettre,statut\n1,posté\n".utf8).write(to: responses.appendingPathComponent("b-other-columns.csv"))
        try Data("batch,sequence,status,date,reason\n\(batch),1,posted,2026-12-08,\"never closed\n".utf8)
            .write(to: responses.appendingPathComponent("c-unclosed.csv"))
        // A link planted in the folder is not followed, and a file named otherwise is not read.
        try FileManager.default.createSymbolicLink(atPath: responses.appendingPathComponent("d-link.csv").path,
                                                   withDestinationPath: "/etc/passwd")
        try Data("batch,sequence,status,date,reason\n\(batch),2,posted,2026-12-08,\n".utf8)
            .write(to: responses.appendingPathComponent("e-good.csv"))
        let report = try room.mailRoom.takeAnswers()
        #expect(report.files == ["a-binary.csv", "b-other-columns.csv", "c-unclosed.csv", "e-good.csv"])
        #expect(report.applied == 1)
        #expect(report.problems == [
            "a-binary.csv the file is not UTF-8 text",
            "b-other-columns.csv line 1: the header row has no column batch, sequence, status, date, reason; it must name batch,sequence,status,date,reason",
            "c-unclosed.csv line 2: a quoted field is never closed",
        ], "\(report.problems)")
        #expect(try Self.answers(in: room, [.posted]).count == 1)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: responses.appendingPathComponent("d-link.csv").path)) == "/etc/passwd")
    }

    /// Letters must be posted within two working days of their delivery:
    /// weekends and the public holidays given do not count.
    @Test func twoWorkingDaysSkipTheWeekendAndHolidays() throws {
        let brussels = try #require(TimeZone(identifier: "Europe/Brussels"))
        let friday = try #require(UTCTimestamp.date("2026-12-04T14:00:00Z"))
        #expect(WorkingDays(timeZone: brussels).deadline(after: friday, days: 2) == UTCTimestamp.date("2026-12-08T23:00:00Z"))
        let holiday = WorkingDays(holidays: ["2026-12-07"], timeZone: brussels)
        #expect(holiday.deadline(after: friday, days: 2) == UTCTimestamp.date("2026-12-09T23:00:00Z"))

        var metrics = StoreMetrics()
        metrics.unpostedByDelivery = [("2026-12-04T14:00:00Z", 3), ("2026-12-08T09:00:00Z", 2)]
        func overdue(at time: String) throws -> String? {
            let text = MetricsText.render(metrics, worker: "w", now: try #require(UTCTimestamp.date(time)), workingDays: holiday)
            return text.split(separator: "\n").first { $0.hasPrefix("courrier_letters_not_posted_overdue ") }.map(String.init)
        }
        #expect(try overdue(at: "2026-12-09T12:00:00Z") == "courrier_letters_not_posted_overdue 0")
        #expect(try overdue(at: "2026-12-10T08:00:00Z") == "courrier_letters_not_posted_overdue 3")
        #expect(try overdue(at: "2026-12-11T08:00:00Z") == "courrier_letters_not_posted_overdue 5")
    }

    @Test func responseFilesAreReadAsRFC4180() {
        let file = ResponseFile.parse(Array("""
            \u{FEFF}Batch,Sequence,Status,Date,Reason\r
            B-1,1,POSTED,2026-12-08,"a ""quoted"" word, and a
            line break"\r
            B-1,2,returned,2026-12-09T08:00:00Z,\r
            """.utf8))
        #expect(file.problems.isEmpty, "\(file.problems)")
        #expect(file.answers == [
            PrintShopAnswer(batch: "B-1", sequence: 1, status: .posted, date: "2026-12-08",
                            reason: "a \"quoted\" word, and a line break", line: 2),
            PrintShopAnswer(batch: "B-1", sequence: 2, status: .returned, date: "2026-12-09", reason: nil, line: 4),
        ])
        #expect(ResponseFile.parse(Array("batch,sequence,status,date,reason\nB,1,posted,2026-13-01,\n".utf8)).problems
                == [ResponseFile.Problem(line: 2, message: "date is \"2026-13-01\", expected an ISO 8601 date such as 2026-12-08")])
        #expect(ResponseFile.parse(Array("batch,sequence,status,date,reason\nB,x\"y,posted,2026-12-01,\n".utf8)).problems.first?.line == 2)
        // A sequence past the stores' integers is the line's problem, not the file's.
        let huge = ResponseFile.parse(Array("batch,sequence,status,date,reason\nB,99999999999,posted,2026-12-01,\n".utf8))
        #expect(huge.answers.isEmpty && huge.problems.first?.line == 2, "\(huge.problems)")
        // A NUL or an escape sequence in a reason never reaches the store, a log or a terminal.
        let hostile = ResponseFile.parse(Array("batch,sequence,status,date,reason\nB,1,returned,2026-12-01,gone\u{0}\u{1B}[2J\n".utf8))
        #expect(hostile.answers.isEmpty && hostile.problems.first?.message.hasPrefix("reason holds a control character") == true,
                "\(hostile.problems)")
        // A line of thousands of commas refuses the file; its fields are never all held in memory.
        let commas = ResponseFile.parse(Array(("batch,sequence,status,date,reason\n" + String(repeating: ",", count: 5_000)).utf8))
        #expect(commas.answers.isEmpty && commas.problems == [ResponseFile.Problem(line: 2, message: "a line holds more than 1000 fields")])
    }
}
