import Foundation
import Testing
@testable import Courrier
import Bundling
import Letters
import Storage

/// Several workers on one PostgreSQL, and nothing that lives only on one
/// machine's disk: the product's own table and views, bundles drawn again
/// when their folder is lost, processes killed at random.
@Suite struct SharedStoreTests {
    /// The product inserts into `courrier.submissions` in its own transaction;
    /// what it rolls back never becomes a letter, and what it commits goes
    /// through the same intake as a file, failures and all, and is shown in
    /// its views.
    @Test func theProductQueuesThroughItsTableAndReadsItsViews() throws {
        let server = try PostgresServer.shared.get()
        let folder = try TemporaryFolder()
        let url = try server.makeDatabase()
        let environment = ["COURRIER_DATABASE": url, "COURRIER_OUTBOX": folder.path("outbox")]
        // The schema exists once a worker has started.
        #expect(try runCourrier(["wallet", "credit", "acme", "10", "--reference", "top-up"], environment: environment,
                                in: folder.url).status == 0)
        let terms = try Data(contentsOf: Paths.documents.appendingPathComponent("terms/acme-cgv.pdf"))
        let logo = try Data(contentsOf: Paths.documents.appendingPathComponent("logos/acme.png"))
        func bytea(_ data: Data?) -> String {
            data.map { "decode('\($0.map { String(format: "%02x", $0) }.joined())', 'hex')" } ?? "NULL"
        }
        func insert(_ id: String, document: String, terms: Data?) -> String {
            "INSERT INTO courrier.submissions (account, document_id, document, terms, logo) VALUES ('acme', '\(id)', $doc$\(document)$doc$, \(bytea(terms)), \(bytea(logo)));"
        }
        let good = try fixtureDocument { $0["id"] = "SQL-GOOD" }
        let rolledBack = try fixtureDocument { $0["id"] = "SQL-ROLLED-BACK" }
        let mislabelled = try fixtureDocument { $0["id"] = "SQL-OTHER-ID" }
        try server.psql(url: url, "BEGIN; \(insert("SQL-ROLLED-BACK", document: rolledBack, terms: terms)) ROLLBACK;")
        try server.psql(url: url, insert("SQL-GOOD", document: good, terms: terms)
                                  + insert("SQL-NO-TERMS", document: try fixtureDocument { $0["id"] = "SQL-NO-TERMS" }, terms: nil)
                                  + insert("SQL-MISLABELLED", document: mislabelled, terms: terms))
        #expect(try server.psql(url: url, "SELECT state FROM courrier.letters WHERE document_id = 'SQL-GOOD'") == "submitted")

        let run = try runCourrier(["run"], environment: environment, in: folder.url)
        #expect(run.status == 0, "\(run.error)")
        let letters = try server.psql(url: url, """
            SELECT document_id, state, coalesce(pages, 0), coalesce(price_cents, 0), bundle IS NOT NULL, coalesce(reason, '')
            FROM courrier.letters ORDER BY document_id
            """).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(letters.map { $0[0] } == ["SQL-GOOD", "SQL-MISLABELLED", "SQL-NO-TERMS"], "the rolled-back one is no letter")
        #expect(letters[0][1...4] == ["bundled", "2", "155", "t"])
        #expect(letters[1][1] == "failed" && letters[1][5].contains("the submission was inserted as \"acme\" and \"SQL-MISLABELLED\""))
        #expect(letters[2][1] == "failed" && letters[2][5].contains("terms.pdf is \"terms/acme-cgv.pdf\", but the submission's terms column is empty"))
        #expect(try server.psql(url: url, "SELECT count(*) FROM courrier.submissions") == "0")
        #expect(try server.psql(url: url, "SELECT balance_cents FROM courrier.wallet_balances WHERE account = 'acme'") == "845")
    }

    /// A 600 MB column in the product's table is measured, never loaded: its
    /// row fails alone naming the column, and the letters beside it, queued
    /// through the table or the command line, go out.
    @Test func anOversizedProductRowFailsAloneAndTheRestIsPrepared() throws {
        let server = try PostgresServer.shared.get()
        let folder = try TemporaryFolder()
        let url = try server.makeDatabase()
        let environment = ["COURRIER_DATABASE": url, "COURRIER_OUTBOX": folder.path("outbox")]
        let documents = try folder.copyFixtureDocuments()
        #expect(try runCourrier(["wallet", "credit", "acme", "10", "--reference", "top-up"], environment: environment,
                                in: folder.url).status == 0)
        let huge = try fixtureDocument { $0["id"] = "SQL-HUGE" }
        let good = try fixtureDocument("acme-entretien-fr.json") { $0["id"] = "SQL-GOOD"; $0["terms"] = nil }
        try server.psql(url: url, """
            INSERT INTO courrier.submissions (account, document_id, document, terms)
            VALUES ('acme', 'SQL-HUGE', $doc$\(huge)$doc$, convert_to(repeat('x', 600000000), 'UTF8'));
            INSERT INTO courrier.submissions (account, document_id, document) VALUES ('acme', 'SQL-GOOD', $doc$\(good)$doc$);
            """)
        #expect(try runCourrier(["enqueue", documents.appendingPathComponent("acme-invoice-fr.json").path],
                                environment: environment, in: folder.url).status == 0)

        let run = try runCourrier(["run"], environment: environment, in: folder.url)
        #expect(run.status == 0, "\(run.error)")
        let letters = try server.psql(url: url, """
            SELECT document_id, state, coalesce(reason, '') FROM courrier.letters ORDER BY document_id
            """).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(letters.map { $0[0] } == ["INV-2026-0116", "SQL-GOOD", "SQL-HUGE"])
        #expect(letters[0][1] == "bundled" && letters[1][1] == "bundled")
        #expect(letters[2][1] == "failed")
        #expect(letters[2][2] == "the submission's terms column holds 572 MiB; at most 16 MiB are read", "\(letters[2])")
        #expect(try server.psql(url: url, "SELECT count(*) FROM courrier.submissions") == "0")
    }

    /// A bundle's folder deleted after the cut is drawn again at delivery,
    /// byte for byte, and `status` says which bundle was rebuilt.
    @Test(arguments: Backend.allCases)
    func aLostOutboxFolderIsDrawnAgainAtDelivery(backend: Backend) throws {
        let folder = try TemporaryFolder()
        let database = try backend.makeLocation(in: folder)
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        var environment = ["COURRIER_DATABASE": database, "COURRIER_OUTBOX": folder.path("outbox-a")]
        let documents = try folder.copyFixtureDocuments()
        try runCourrier(["wallet", "credit", "acme", "20", "--reference", "top-up"], environment: environment, in: folder.url)
        try runCourrier(["wallet", "credit", "bakkerij-peeters", "20", "--reference", "top-up-2"], environment: environment, in: folder.url)
        let files = try FileManager.default.contentsOfDirectory(atPath: documents.path).filter { $0.hasSuffix(".json") }
            .map { documents.appendingPathComponent($0).path }
        try runCourrier(["enqueue"] + files, environment: environment, in: folder.url)
        #expect(try runCourrier(["run"], environment: environment, in: folder.url).status == 0)
        let cut = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path("outbox-a")).first)
        let original = folder.url.appendingPathComponent("original")
        try FileManager.default.moveItem(at: folder.url.appendingPathComponent("outbox-a/\(cut)"), to: original)

        // Another worker, with an outbox of its own, delivers it.
        environment["COURRIER_OUTBOX"] = folder.path("outbox-b")
        let deliver = try runCourrier(["deliver", "--deliver", "file://\(drop.path)"], environment: environment, in: folder.url)
        #expect(deliver.status == 0, "\(deliver.error)")
        #expect(deliver.error.contains("\"event\":\"bundle.rebuilt\""))
        let delivered = drop.appendingPathComponent(cut)
        #expect(try sha256sumCheck(delivered))
        for name in try FileManager.default.contentsOfDirectory(atPath: original.path) {
            #expect(try Data(contentsOf: original.appendingPathComponent(name))
                    == Data(contentsOf: delivered.appendingPathComponent(name)), "\(name) is the same, byte for byte")
        }
        let status = try runCourrier(["status"], environment: environment, in: folder.url)
        #expect(status.output.contains("\(cut)  delivered"))
        #expect(status.output.contains("folder lost and rebuilt from the store once"), "\(status.output)")
        let answer = try runCourrier(["status", "--json"], environment: environment, in: folder.url)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.output.utf8)) as? [String: Any])
        let bundles = try #require(object["bundles"] as? [[String: Any]])
        #expect(bundles.first?["rebuilt"] as? Int == 1)
    }

    /// Three `courrier run` processes, each with its own outbox and worker id,
    /// over 600 letters on one PostgreSQL, with a wallet that pays for half of
    /// them; killed with SIGKILL at random, their outbox deleted half of the
    /// time, the print shop's drop down for the first half of the rounds (so
    /// that bundles wait, and some must be drawn again elsewhere). Every paid
    /// letter reaches the drop once, and the money adds up.
    @Test func threeWorkersKilledAtRandomWithTheirOutboxesLostMailEachPaidLetterOnce() throws {
        let folder = try TemporaryFolder()
        let database = try PostgresServer.shared.get().makeDatabase()
        let documents = folder.url.appendingPathComponent("documents")
        try FileManager.default.createDirectory(at: documents, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Paths.documents.appendingPathComponent("terms"),
                                         to: documents.appendingPathComponent("terms"))
        let count = 600, paid = 300
        let files = try (0..<count).map { index in
            try folder.write("documents/doc-\(index).json", try fixtureDocument("acme-entretien-fr.json") {
                $0["id"] = "SHARED-\(index)"
                if index % 3 == 0 { $0["print"] = ["duplex": true] }
            }).path
        }
        let drop = folder.url.appendingPathComponent("print-shop")
        let shared = ["COURRIER_DATABASE": database, "COURRIER_DELIVER": "file://\(drop.path)",
                      "COURRIER_DELIVERY_RETRY": "0s", "COURRIER_LOG_LEVEL": "error", "COURRIER_FILE_SHEETS": "40"]
        func environment(_ worker: Int) -> [String: String] {
            shared.merging(["COURRIER_OUTBOX": folder.path("outbox-\(worker)"), "COURRIER_WORKER_ID": "w\(worker)"]) { $1 }
        }
        // One page each, 1.45 EUR: the wallet pays for half of the letters.
        try runCourrier(["wallet", "credit", "acme", Cents.decimalString(Int64(paid) * 145), "--reference", "top-up"],
                        environment: environment(0), in: folder.url)
        #expect(try runCourrier(["enqueue"] + files, environment: environment(0), in: folder.url).status == 0)

        var generator = SystemRandomNumberGenerator()
        var kills = 0, outboxesLost = 0
        for round in 0..<8 {
            if round == 4 {
                // The print shop's drop is back.
                try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
            }
            let processes = try (0..<3).map { worker in
                let process = Process()
                process.executableURL = try Paths.courrierBinary
                process.arguments = ["run"]
                process.currentDirectoryURL = folder.url
                process.environment = ProcessInfo.processInfo.environment.merging(environment(worker)) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                return (worker, process)
            }
            for (worker, process) in processes {
                // The first of the first round early, while 600 letters are still being
                // prepared: at least one kill lands in the middle of the work.
                let latest: UInt32 = round == 0 && worker == 0 ? 200_000 : 1_500_000
                usleep(UInt32.random(in: 20_000...latest, using: &generator))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    kills += 1
                }
            }
            for (worker, process) in processes {
                process.waitUntilExit()
                if Bool.random(using: &generator) {
                    // Its machine is gone, and its disk with it.
                    try? FileManager.default.removeItem(atPath: folder.path("outbox-\(worker)"))
                    outboxesLost += 1
                }
            }
        }
        #expect(kills > 0, "every run finished before it could be killed")
        let final = try runCourrier(["run"], environment: environment(1), in: folder.url)
        #expect(final.status == 0, "\(final.error)")
        let deliver = try runCourrier(["deliver", "--now"], environment: environment(2), in: folder.url)
        #expect(deliver.status == 0, "\(deliver.error)")

        let store = try PostgresStore(url: database)
        defer { store.close() }
        let jobs = try (1...Int64(count)).compactMap { try store.job($0) }
        // Kills from outside blame no letter.
        let crashed = jobs.filter { $0.state == .failed }
        #expect(crashed.isEmpty, "\(crashed.map { $0.reason ?? "" })")
        let delivered = jobs.filter { $0.state == .delivered }
        let states = try store.status(failureLimit: 3).jobs
        #expect(delivered.count == paid, "\(states)")
        #expect(jobs.filter { $0.state == .awaitingFunds }.count == count - paid - crashed.count)
        #expect(try store.balance(account: "acme") == 0)
        #expect(try store.metrics().undelivered == 0)

        let debits = try store.history(account: "acme").filter { $0.kind == .debit }
        #expect(Set(debits.compactMap(\.job)) == Set(delivered.map(\.id)) && debits.count == delivered.count)
        let manifests = try deliveredManifests(in: drop)
        let inDrop = manifests.flatMap { $0.letters.map(\.job) }
        let amount = manifests.reduce(0) { $0 + $1.totals.amountCents }
        #expect(inDrop.count == paid && Set(inDrop) == Set(delivered.map(\.id)), "each paid letter once in the drop")
        #expect(amount == -debits.reduce(0) { $0 + $1.amountCents })
        Swift.print("shared store: \(kills) kills, \(outboxesLost) outboxes lost, \(crashed.count) crashed, "

                    + "\(try store.status(failureLimit: 1).bundles.filter { $0.rebuilt > 0 }.count) bundles rebuilt")
    }

    /// Two workers on one PostgreSQL, cutting every minute: letters queued
    /// after the first cut go out at the next, each once, and both workers
    /// stop on SIGTERM.
    @Test func twoWorkersCuttingEveryMinuteMailASecondWave() throws {
        let folder = try TemporaryFolder()
        let database = try PostgresServer.shared.get().makeDatabase()
        _ = try folder.copyFixtureDocuments()
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        let shared = ["COURRIER_DATABASE": database, "COURRIER_DELIVER": "file://\(drop.path)",
                      "COURRIER_POLL": "1s", "COURRIER_CUT_EVERY": "1m"]
        func environment(_ worker: Int) -> [String: String] {
            shared.merging(["COURRIER_OUTBOX": folder.path("outbox-\(worker)"), "COURRIER_WORKER_ID": "w\(worker)"]) { $1 }
        }
        func wave(_ name: String, _ size: Int) throws {
            let files = try (0..<size).map { index in
                try folder.write("documents/\(name)-\(index).json",
                                 try fixtureDocument("acme-entretien-fr.json") { $0["id"] = "\(name)-\(index)" }).path
            }
            #expect(try runCourrier(["enqueue"] + files, environment: environment(0), in: folder.url).status == 0)
        }
        try runCourrier(["wallet", "credit", "acme", "100", "--reference", "top-up"], environment: environment(0), in: folder.url)
        try wave("FIRST", 20)
        let workers = try (0..<2).map { try CourrierProcess(environment: environment($0), in: folder.url) }
        let store = try PostgresStore(url: database)
        defer { store.close() }
        let first = try workers[0].waitFor(seconds: 75) { try store.status(failureLimit: 1).jobs[.delivered] == 20 }
        #expect(first, "\(String(describing: try? store.status(failureLimit: 1).jobs))")
        try wave("SECOND", 15)
        // Queued just before a minute turns, a letter may miss that cut and go at the next.
        let second = try workers[0].waitFor(seconds: 135) { try store.status(failureLimit: 1).jobs[.delivered] == 35 }
        #expect(second, "\(String(describing: try? store.status(failureLimit: 1).jobs))")
        for worker in workers { #expect(worker.terminate(within: 15) == 0) }

        let bundles = try FileManager.default.contentsOfDirectory(atPath: drop.path)
        let letters = try bundles.flatMap { bundle in
            try Manifest.decode(Data(contentsOf: drop.appendingPathComponent("\(bundle)/manifest.json"))).letters.map(\.document)
        }
        #expect(bundles.count >= 2, "the second wave went out in a later cut")
        #expect(letters.count == 35 && Set(letters).count == 35)
        let cutters = Set(workers.flatMap { worker in
            worker.events.filter { $0["event"] as? String == "bundle.cut" }.compactMap { $0["worker"] as? String }
        })
        #expect(!cutters.isEmpty)
        #expect(try store.history(account: "acme").filter { $0.kind == .debit }.count == 35)
    }
}
