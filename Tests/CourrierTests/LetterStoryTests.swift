import Foundation
import Testing
@testable import Courrier
import Bundling
import Letters
@testable import Storage

/// Every letter's story, kept as events in the store: what operations read
/// with `courrier letter` and the product is told.
@Suite struct LetterStoryTests {
    /// Five letters, each with a story of its own, on a store of `backend`,
    /// delivered to a folder.
    final class FiveLetters {
        let room: TestMailRoom
        let drop: URL
        var jobs: [String: Int64] = [:]

        init(backend: Backend) throws {
            let folder = try TemporaryFolder()
            let drop = folder.url.appendingPathComponent("print-shop")
            try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
            self.drop = drop
            room = try TestMailRoom(folder: folder, backend: backend) { $0.deliverURL = "file://\(drop.path)" }
            let accounts = room.mailRoom.accounts
            _ = try accounts.credit(account: "acme", cents: 1_000, reference: "acme-1")

            let wrongReference = try folder.write("wrong-reference.json", try fixtureDocument {
                $0["id"] = "INV-WRONG-REFERENCE"
                $0["payment"] = ["reference": "+++090/9337/55494+++"]
            })
            // Checked at intake, priced at preparation: the tariff has no price for Japan.
            let japan = try folder.write("japan.json", try fixtureDocument("acme-entretien-fr.json") {
                $0["id"] = "INV-JAPAN"
                $0["recipient"] = ["name": "Tanaka Shoten", "street": "1-2-3 Ginza", "postal_code": "104-0061",
                                   "city": "Chuo-ku, Tokyo", "country": "JP"]
            })
            let files = [("delivered", Paths.document("acme-invoice-fr.json")), ("intake", wrongReference),
                         ("preparation", japan), ("cancelled", Paths.document("acme-entretien-fr.json")),
                         ("funds", Paths.document("peeters-factuur-nl.json"))]
            for (name, file) in files {
                jobs[name] = try #require(try room.enqueue(file).first).job.id
            }
            _ = try room.mailRoom.prepareAll()
            _ = try room.mailRoom.records.cancel(job: jobs["cancelled"] ?? 0)
            _ = try accounts.credit(account: "bakkerij-peeters", cents: 1_000, reference: "peeters-1")
            _ = try room.mailRoom.run()
        }

        func events(_ name: String) throws -> [LetterEvent] {
            try room.store.events(after: 0, account: nil, job: jobs[name], limit: 100)
        }
    }

    @Test(arguments: Backend.allCases)
    func eachLetterTellsItsStoryInOrder(backend: Backend) throws {
        let letters = try FiveLetters(backend: backend)
        let delivered = try letters.events("delivered")
        #expect(delivered.map(\.kind) == [.queued, .prepared, .bundled, .delivered])
        #expect(delivered.allSatisfy { $0.account == "acme" && $0.document == "INV-2026-0116" })
        #expect(delivered[1].details["pages"] == .integer(2) && delivered[1].details["price_cents"] == .integer(155))
        #expect(delivered[1].details["sheets"] == .integer(2))
        #expect(delivered[1].details["balance_after_cents"] == .integer(1_000 - 155))
        let bundled = delivered[2].details
        let batch = try #require(bundled["batch"]?.description)
        #expect(bundled["file"] != nil && bundled["first_page"] != nil && bundled["sequence"] != nil, "\(bundled)")
        #expect(delivered[3].details["destination"]?.description.hasPrefix("file://") == true)
        // Where the event says the letter is, the bundle's manifest has it.
        let manifest = try Manifest.read(bundle: letters.drop.appendingPathComponent(batch))
        let entry = try #require(manifest.letters.first { $0.job == letters.jobs["delivered"] })
        #expect(bundled["file"] == .string(entry.file) && bundled["first_page"] == .integer(Int64(entry.firstPage))
                && bundled["sequence"] == .integer(Int64(entry.sequence)))

        let intake = try letters.events("intake")
        #expect(intake.map(\.kind) == [.failed])
        #expect(intake.first?.details["stage"] == .string("intake") && intake.first?.details["code"] == .string("invalid_document"))
        #expect(intake.first?.details["reason"]?.description.contains("payment.reference") == true)

        let preparation = try letters.events("preparation")
        #expect(preparation.map(\.kind) == [.queued, .failed])
        #expect(preparation.last?.details["code"] == .string("unknown_destination"))
        #expect(preparation.last?.details["stage"] == .string("preparation"))

        let cancelled = try letters.events("cancelled")
        #expect(cancelled.map(\.kind) == [.queued, .prepared, .cancelled])
        #expect(cancelled.last?.details["refunded_cents"] == cancelled[1].details["price_cents"])

        let funds = try letters.events("funds")
        #expect(funds.map(\.kind) == [.queued, .awaitingFunds, .prepared, .bundled, .delivered])
        #expect(funds[1].details["balance_cents"] == .integer(0))

        // One cursor for all: ids grow, and every letter's events are in the store's order.
        let all = try letters.room.store.events(after: 0, account: nil, job: nil, limit: 1_000)
        #expect(all.map(\.id) == all.map(\.id).sorted() && Set(all.map(\.id)).count == all.count)
        #expect(all.count == [delivered, intake, preparation, cancelled, funds].map(\.count).reduce(0, +))
        #expect(try letters.room.store.events(after: 0, account: "bakkerij-peeters", job: nil, limit: 100) == funds)
    }

    @Test(arguments: Backend.allCases)
    func courrierLetterShowsTheStoryTheStoreKeeps(backend: Backend) throws {
        let letters = try FiveLetters(backend: backend)
        func letter(_ arguments: [String]) throws -> (status: Int32, text: String) {
            let output = Captured()
            let status = CourrierCommand(arguments: ["letter"] + arguments, environment: ["COURRIER_DATABASE": letters.room.database],
                                         standardOutput: { output.append($0) }, standardError: { _ in }).run()
            return (status, output.text)
        }
        let answer = try letter(["acme", "INV-2026-0116", "--json"])
        #expect(answer.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any])
        let shown = (object["events"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int64 }
        #expect(shown == (try letters.events("delivered")).map(\.id))
        #expect(object["state"] as? String == "delivered" && object["price_cents"] as? Int == 155)
        #expect(object["file"] as? String != nil && object["first_page"] as? Int != nil)

        let failed = try letter([String(letters.jobs["preparation"] ?? 0)])
        #expect(failed.text.contains("failed (unknown_destination)"), "\(failed.text)")
        #expect(try letter(["acme", "NO-SUCH-DOCUMENT"]).status == 1)
    }

    @Test(arguments: Backend.allCases)
    func courrierLettersListsWhatItIsAskedFor(backend: Backend) throws {
        let letters = try FiveLetters(backend: backend)
        func list(_ arguments: [String]) throws -> String {
            let output = Captured()
            let status = CourrierCommand(arguments: ["letters"] + arguments, environment: ["COURRIER_DATABASE": letters.room.database],
                                         standardOutput: { output.append($0) }, standardError: { _ in }).run()
            #expect(status == 0)
            return output.text
        }
        let failed = try #require(try JSONSerialization.jsonObject(
            with: Data(try list(["--account", "acme", "--state", "failed", "--json"]).utf8)) as? [[String: Any]])
        #expect(Set(failed.compactMap { $0["document"] as? String }) == ["INV-WRONG-REFERENCE", "INV-JAPAN"])
        let all = try list(["--since", "1h"]).split(separator: "\n")
        #expect(all.count == 6 && all[0].hasPrefix("JOB"), "\(all)")
        // Newest first, one a line, each state under the STATE heading.
        #expect(all[1].hasPrefix(String(letters.jobs["funds"] ?? 0)))
        let column = try #require(all[0].range(of: "STATE")).lowerBound.utf16Offset(in: all[0])
        for row in all.dropFirst() {
            let state = row.dropFirst(column).prefix { $0 != " " }
            #expect(JobState(rawValue: String(state)) != nil, "\(row)")
        }
        #expect(try list(["--since", "2099-01-01"]) == "no letters\n")
        let bundled = try list(["--bundle", try #require(try letters.room.store.job(letters.jobs["delivered"] ?? 0)?.batch), "--limit", "1"])
        #expect(bundled.split(separator: "\n").count == 2)
    }

    @Test(arguments: Backend.allCases)
    func purgeKeepsTheStoryAndDropsWhatTheCustomerWrote(backend: Backend) throws {
        let letters = try FiveLetters(backend: backend)
        let before = try letters.events("preparation")
        #expect(before.last?.details["reason"] != nil)
        let report = try letters.room.store.purge(before: Date().addingTimeInterval(3_600), at: Date())
        #expect(report.jobs == 5)
        let after = try letters.events("preparation")
        #expect(after.map(\.kind) == [.queued, .failed, .purged])
        #expect(after[1].details["reason"] == nil && after[1].details["code"] == .string("unknown_destination"))
        #expect(after[0].id == before[0].id && after[1].id == before[1].id)
        #expect(try letters.events("delivered").map(\.kind) == [.queued, .prepared, .bundled, .delivered, .purged])
    }

    /// PostgreSQL's jsonb refuses \u0000: an event's details never carry one.
    @Test func anEventsDetailsNeverHoldTheEscapeJsonbRefuses() {
        #expect(!LetterEvent.json(["reason": .string("a\u{0}b")]).contains("\\u0000"))
    }

    @Test(arguments: Backend.allCases)
    func anEventIsNeverRewrittenOrDeleted(backend: Backend) throws {
        let letters = try FiveLetters(backend: backend)
        for statement in ["UPDATE events SET kind = 'delivered'", "DELETE FROM events", "UPDATE events SET account = 'other'"] {
            #expect(throws: (any Error).self, "\(statement) was allowed") {
                try CheckedLetterTests.execute(statement, in: letters.room.store)
            }
        }
        #expect(try letters.events("delivered").count == 4)
    }
}

/// `courrier events --follow` as an operator runs it, beside a worker.
@Suite struct FollowingEventsTests {
    @Test func followSeesALetterGoFromQueuedToDeliveredAndStopsOnSIGTERM() throws {
        let folder = try TemporaryFolder()
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_DELIVER": "file://\(drop.path)", "COURRIER_POLL": "200ms", "COURRIER_LOG_LEVEL": "error"]
        #expect(try runCourrier(["wallet", "credit", "acme", "10.00", "--reference", "top-up"], environment: environment,
                                in: folder.url).status == 0)
        let follow = try CourrierProcess(["events", "--follow"], environment: environment, in: folder.url)
        let worker = try CourrierProcess(environment: environment, in: folder.url)
        defer { _ = worker.terminate(within: 10) }
        #expect(try runCourrier(["enqueue", Paths.document("acme-invoice-fr.json").path], environment: environment,
                                in: folder.url).status == 0)
        func kinds() -> [String] {
            follow.outputText.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["kind"] as? String
            }
        }
        #expect(follow.waitFor(seconds: 20) { kinds().contains("prepared") }, "the worker did not prepare it: \(follow.outputText)")
        // The cut now, from another process; the worker's store sees it delivered.
        #expect(try runCourrier(["cut"], environment: environment, in: folder.url).status == 0)
        #expect(follow.waitFor(seconds: 20) { kinds().contains("delivered") }, "\(follow.outputText)")
        #expect(kinds() == ["queued", "prepared", "bundled", "delivered"])
        #expect(follow.terminate(within: 5) == 0, "events --follow did not stop cleanly on SIGTERM")
    }
}

/// What a command wrote on standard output, appended from any thread.
final class Captured: @unchecked Sendable {
    // @unchecked Sendable: `lines` is read and written under `lock`.
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined() } }
}
