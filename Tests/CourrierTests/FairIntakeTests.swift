import Foundation
import Testing
@testable import Courrier
import Letters
import Rendering
import Storage

/// One customer's slow files cost that customer's letters, not everyone's
/// time: reads run one per core, accounts in turn, bounded in processor
/// time; and what the machine lacks is the round's fault, not the letter's.
@Suite struct FairIntakeTests {
    /// A PDF whose shading takes Poppler seconds of processor time to draw.
    static let slow = Paths.fixtures.appendingPathComponent("hostile/pdfjs/function_based_shading.pdf")

    /// `count` distinct copies of the slow PDF (a comment after its end
    /// makes each a file of its own), each named by a document of `acme`.
    private func slowDocuments(_ count: Int, in documents: URL) throws -> [URL] {
        let bytes = try Data(contentsOf: Self.slow)
        return try (0..<count).map { index in
            try (bytes + Data("\n% copy \(index)\n".utf8)).write(to: documents.appendingPathComponent("terms/slow-\(index).pdf"))
            let document = try fixtureDocument("acme-entretien-fr.json") {
                $0["id"] = "SLOW-\(index)"
                $0["terms"] = ["pdf": "terms/slow-\(index).pdf"]
            }
            let file = documents.appendingPathComponent("slow-\(index).json")
            try Data(document.utf8).write(to: file)
            return file
        }
    }

    @Test func anotherAccountsLetterWaitsForOneReadNotTwenty() throws {
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let slow = try slowDocuments(20, in: documents)
        let good = documents.appendingPathComponent("peeters-factuur-nl.json")
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_OPEN_TIMEOUT": "1s", "COURRIER_THREADS": "2"]
        let enqueue = try runCourrier(["enqueue"] + slow.map(\.path) + [good.path], environment: environment, in: folder.url)
        let events = enqueue.error.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { ["job.queued", "job.failed"].contains($0["event"] as? String) }
        #expect(events.count == 21, "\(enqueue.error.suffix(500))")
        // Reading time is shared between accounts: the other account's letter is
        // read beside the first slow file, and queued before the second.
        let position = events.firstIndex { ($0["account"] as? String) == "bakkerij-peeters" }
        #expect(position.map { $0 <= 1 } == true, "\(events.prefix(3))")
        let slowFailures = events.filter { ($0["account"] as? String) == "acme" }
        #expect(slowFailures.count == 20)
        for event in slowFailures {
            #expect((event["reason"] as? String)?.contains("took more than 1 s of processor time to read") == true,
                    "\(event["reason"] ?? "")")
        }
    }

    @Test func theProductsSlowRowsDoNotHoldUpAnotherAccountsRow() throws {
        let server = try PostgresServer.shared.get()
        let folder = try TemporaryFolder()
        let url = try server.makeDatabase()
        let environment = ["COURRIER_DATABASE": url, "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_OPEN_TIMEOUT": "1s", "COURRIER_THREADS": "2"]
        #expect(try runCourrier(["wallet", "credit", "bakkerij-peeters", "10", "--reference", "top-up"],
                                environment: environment, in: folder.url).status == 0)
        let slow = try Data(contentsOf: Self.slow)
        var sql = ""
        for index in 0..<20 {
            let document = try fixtureDocument("acme-entretien-fr.json") {
                $0["id"] = "SLOW-\(index)"
                $0["terms"] = ["pdf": "slow.pdf"]
            }
            // A distinct copy each: the slow PDF from a table of its own, a comment after its end.
            sql += "INSERT INTO courrier.submissions (account, document_id, document, terms) SELECT 'acme', 'SLOW-\(index)', "
                + "$doc$\(document)$doc$, pdf || convert_to(E'\\n% copy \(index)\\n', 'UTF8') FROM slow;\n"
        }
        let good = try fixtureDocument("peeters-factuur-nl.json") { $0["terms"] = nil }
        sql += "INSERT INTO courrier.submissions (account, document_id, document) VALUES ('bakkerij-peeters', 'F2026-0458', $doc$\(good)$doc$);"
        try server.psql(url: url, "CREATE TABLE slow AS SELECT decode('\(slow.map { String(format: "%02x", $0) }.joined())', 'hex') AS pdf;")
        try server.psql(url: url, sql)

        let run = try runCourrier(["run"], environment: environment, in: folder.url)
        #expect(run.status == 0, "\(run.error.suffix(500))")
        // Jobs are numbered as they are queued: the other account's row is among the first two.
        let order = try server.psql(url: url, "SELECT account FROM courrier.jobs ORDER BY id LIMIT 2")
        #expect(order.split(separator: "\n").contains("bakkerij-peeters"), "\(order)")
        #expect(try server.psql(url: url, "SELECT state FROM courrier.letters WHERE account = 'bakkerij-peeters'") == "bundled")
        #expect(try server.psql(url: url, "SELECT count(*) FROM courrier.letters WHERE state = 'failed'") == "20")
    }

    @Test func aMissingTemporaryFolderIsNotTheLettersFault() throws {
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "TMPDIR": folder.path("no-such-folder")]
        let enqueue = try runCourrier(["enqueue", documents.appendingPathComponent("acme-invoice-fr.json").path],
                                      environment: environment, in: folder.url)
        #expect(enqueue.status == 0, "another temporary folder is used: \(enqueue.error.suffix(400))")
        #expect(enqueue.output.contains("queued"), "\(enqueue.output)")
    }

    @Test func aReaderThatCannotStartLeavesTheLetterUnqueuedAndSaysWhy() throws {
        let room = try TestMailRoom()
        let documents = try room.folder.copyFixtureDocuments()
        room.mailRoom.queueing.intake = Intake(opener: IsolatedOpener(executable: room.folder.path("missing/courrier")),
                                               tariff: try room.mailRoom.configuration.loadTariff())
        let results = try room.mailRoom.queueing.enqueue(files: [documents.appendingPathComponent("acme-invoice-fr.json")])
        guard case .rejected(_, let reason) = try #require(results.first) else {
            Issue.record("queued, or failed as the letter's fault: \(results)")
            return
        }
        #expect(reason.hasPrefix("not queued: terms.pdf \"terms/acme-cgv.pdf\" could not be read: cannot start"), "\(reason)")
        #expect(reason.hasSuffix("queue it again once the machine is fixed"))
        #expect(try room.store.status(failureLimit: 5).jobs.isEmpty, "nothing is stored, nothing failed")
        #expect(room.logLines.text.contains("\"event\":\"job.deferred\""))
    }
}
