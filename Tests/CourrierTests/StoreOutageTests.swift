import Foundation
import Testing
@testable import Courrier
import Bundling
import Letters
@testable import Storage

/// The database goes away, restarts, drops connections, or is held by
/// another process: the worker waits, comes back by itself once the store
/// answers, and the mail goes on.
@Suite struct StoreOutageTests {
    private func states(_ server: PostgresServer, _ url: String) throws -> [String: Int] {
        let rows = try server.psql(url: url, "SELECT state, count(*) FROM courrier.jobs GROUP BY state")
        var counts: [String: Int] = [:]
        for row in rows.split(separator: "\n") {
            let parts = row.split(separator: "|")
            if parts.count == 2 { counts[String(parts[0])] = Int(parts[1]) }
        }
        return counts
    }

    @Test func aWorkerComesBackByItselfAfterPostgreSQLRestartsAndDropsItsConnections() throws {
        let server = try PostgresServer.dedicated()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let url = try server.makeDatabase()
        let environment = ["COURRIER_DATABASE": url, "COURRIER_OUTBOX": folder.path("outbox"), "COURRIER_POLL": "1s",
                           "COURRIER_STORE_RETRY": "5s"]
        #expect(try runCourrier(["wallet", "credit", "acme", "100", "--reference", "top-up"], environment: environment,
                                in: folder.url).status == 0)
        func enqueue(_ id: String) throws {
            let file = try folder.write("documents/\(id).json", try fixtureDocument("acme-entretien-fr.json") { $0["id"] = id })
            let result = try runCourrier(["enqueue", file.path], environment: environment, in: folder.url)
            #expect(result.status == 0, "\(result.error)")
        }
        _ = documents
        let worker = try CourrierProcess(environment: environment, in: folder.url)
        defer { if worker.process.isRunning { _ = worker.terminate(within: 30) } }
        try enqueue("BEFORE")
        #expect(try worker.waitFor(seconds: 20) { try states(server, url)["prepared"] == 1 }, "\(worker.errorText.suffix(800))")

        // The server dies and stays away longer than the worker's retries.
        try server.kill()
        #expect(worker.waitFor(seconds: 20) { worker.errorText.contains("\"event\":\"store.unavailable\"") },
                "\(worker.errorText.suffix(800))")
        Thread.sleep(forTimeInterval: 6)
        #expect(worker.process.isRunning, "the worker stays up while its database is away")
        try server.start()
        let back = Date()
        try enqueue("AFTER-RESTART")
        #expect(try worker.waitFor(seconds: 20) { try states(server, url)["prepared"] == 2 }, "\(worker.errorText.suffix(1500))")
        let resumed = Date().timeIntervalSince(back)
        #expect(resumed < 10, "prepared \(resumed) s after the server was back")
        #expect(worker.errorText.contains("\"event\":\"store.reconnected\""))

        // Its connections cut from the server's side, as pg_terminate_backend does.
        try server.psql(url: url, """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
        try enqueue("AFTER-TERMINATE")
        #expect(try worker.waitFor(seconds: 20) { try states(server, url)["prepared"] == 3 }, "\(worker.errorText.suffix(1500))")
        #expect(worker.process.isRunning)

        // `pg_ctl restart -m immediate`: gone and back with crash recovery, faster than the retries give up.
        try server.restart()
        let restarted = Date()
        try enqueue("AFTER-PG-CTL-RESTART")
        #expect(try worker.waitFor(seconds: 20) { try states(server, url)["prepared"] == 4 }, "\(worker.errorText.suffix(1500))")
        let resumedAfterRestart = Date().timeIntervalSince(restarted)
        #expect(resumedAfterRestart < 10, "prepared \(resumedAfterRestart) s after pg_ctl restart")
        Swift.print("store outages: a worker resumed \(resumed) s after the server came back from a kill, "
                    + "\(resumedAfterRestart) s after pg_ctl restart -m immediate")

        // SIGTERM while the worker waits for a database that is gone: it stops
        // waiting and exits cleanly, well within its grace.
        let outages = worker.errorText.components(separatedBy: "store.unavailable").count
        try server.kill()
        #expect(worker.waitFor(seconds: 20) { worker.errorText.components(separatedBy: "store.unavailable").count > outages })
        let asked = Date()
        #expect(worker.terminate(within: 30) == 0, "\(worker.errorText.suffix(500))")
        #expect(Date().timeIntervalSince(asked) < 10, "stopped \(Date().timeIntervalSince(asked)) s after SIGTERM")
    }

    /// Three workers and a stream of `courrier run`s on one PostgreSQL, five
    /// accounts with different balances, letters arriving in waves, while
    /// the server is stopped (`pg_ctl stop -m immediate`, then started a few
    /// seconds later) or restarted (`pg_ctl restart -m immediate`) and
    /// Courrier's connections are cut at random: no worker exits, every paid
    /// letter reaches the print shop's drop once, charged once, and no letter
    /// fails for it.
    @Test func theMailGoesOnThroughRestartsAndCutConnections() throws {
        let fleet = try WorkerFleet(settings: ["COURRIER_STORE_RETRY": "3s"])
        defer { fleet.stop() }
        let (server, folder, url, environment) = (fleet.server, fleet.folder, fleet.url, fleet.environment)
        // One-page letters at 1.45 EUR: the accounts pay for 0, 3, 10, 25 and all 40 of theirs.
        let accounts = [("a0", 0), ("a1", 3), ("a2", 10), ("a3", 25), ("a4", 40)]
        try fleet.fund(accounts)
        func wave(_ number: Int) throws -> [String] {
            try fleet.wave(number, accounts: accounts.map(\.0), perAccount: 8)
        }
        let workers = try fleet.startWorkers(["w1", "w2", "w3"])
        defer { for worker in workers where worker.process.isRunning { _ = worker.terminate(within: 30) } }

        var generator = SystemRandomNumberGenerator()
        // Each fault at least once, in a random order: stopped for a few
        // seconds (0), restarted at once (1), connections cut (2).
        let faults = [0, 1, 2, 0, 1].shuffled(using: &generator)
        for (number, fault) in faults.enumerated() {
            // A wave queued while the database is up; a run beside the workers.
            let queued = try runCourrier(["enqueue"] + wave(number), environment: environment("queue"), in: folder.url)
            #expect(queued.status == 0, "\(queued.error.suffix(300))")
            let run = Process()
            run.executableURL = try Paths.courrierBinary
            run.arguments = ["run"]
            run.currentDirectoryURL = folder.url
            run.environment = ProcessInfo.processInfo.environment.merging(environment("run-\(number)")) { $1 }
            run.standardOutput = FileHandle.nullDevice
            run.standardError = FileHandle.nullDevice
            try run.run()
            usleep(UInt32.random(in: 100_000...800_000, using: &generator))
            switch fault {
            case 0:
                try server.kill()
                usleep(UInt32.random(in: 2_000_000...4_000_000, using: &generator))
                try server.start()
            case 1:
                try server.restart()
            default:
                try server.psql(url: url, """
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """)
            }
            run.waitUntilExit()
        }
        for worker in workers {
            #expect(worker.process.isRunning, "a worker stayed up: \(worker.errorText.suffix(600))")
        }
        let final = try runCourrier(["run"], environment: environment("final"), in: folder.url)
        #expect(final.status == 0, "\(final.error.suffix(600))")
        #expect(try runCourrier(["deliver", "--now"], environment: environment("final"), in: folder.url).status == 0)

        let store = try PostgresStore(url: url)
        defer { store.close() }
        let status = try store.status(failureLimit: 5)
        #expect(status.jobs[.failed] == nil, "no letter is blamed: \(status.failures)")
        let inDrop = try fleet.lettersInDrop()
        #expect(inDrop.count == Set(inDrop).count, "each letter once in the drop")
        let debits = try accounts.flatMap { try store.history(account: $0.0).filter { $0.kind == .debit } }
        #expect(Set(debits.compactMap(\.job)) == Set(inDrop) && debits.count == inDrop.count, "charged once, each one delivered")
        #expect(inDrop.count == accounts.reduce(0) { $0 + $1.1 }, "every paid letter went out: \(status.jobs)")
        for (account, paid) in accounts {
            #expect(try store.balance(account: account) == 0 || paid == 0)
        }
        #expect(status.jobs[.awaitingFunds] == 5 * 8 * accounts.count - inDrop.count)
        let reconnected = workers.map { $0.errorText.contains("\"event\":\"store.reconnected\"") }
        #expect(reconnected.contains(true), "the workers lived through it: \(workers[0].errorText.suffix(600))")
        let retries = workers.map { $0.errorText.components(separatedBy: "\"event\":\"store.retrying\"").count - 1 }
        let outages = workers.map { $0.errorText.components(separatedBy: "\"event\":\"store.unavailable\"").count - 1 }
        Swift.print("store outages: \(inDrop.count) letters delivered; the workers retried \(retries) transactions "
                    + "and lost the store \(outages) times")
    }

    @Test func aWorkerWaitsWhileAnotherProcessHoldsTheSQLiteWriteLock() throws {
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let database = folder.path("courrier.sqlite")
        let environment = ["COURRIER_DATABASE": database, "COURRIER_OUTBOX": folder.path("outbox"), "COURRIER_POLL": "1s"]
        #expect(try runCourrier(["wallet", "credit", "acme", "100", "--reference", "top-up"], environment: environment,
                                in: folder.url).status == 0)
        let worker = try CourrierProcess(environment: environment, in: folder.url)
        defer { if worker.process.isRunning { _ = worker.terminate(within: 30) } }
        #expect(worker.waitFor(seconds: 20) { worker.errorText.contains("worker.started") })

        // Another process (here, this one) takes the write lock and keeps it 12 s,
        // longer than SQLite's busy timeout of 10 s.
        let holder = try SQLiteConnection(path: database)
        defer { holder.close() }
        try holder.execute("BEGIN IMMEDIATE")
        let released = Date().addingTimeInterval(12)
        let place = folder.url
        let queueing = Thread {
            _ = try? runCourrier(["enqueue", documents.appendingPathComponent("acme-entretien-fr.json").path],
                                 environment: environment, in: place)
        }
        queueing.start()
        Thread.sleep(forTimeInterval: max(0, released.timeIntervalSinceNow))
        try holder.execute("COMMIT")

        let store = try SQLiteStore(readingPath: database)
        defer { store.close() }
        #expect(try worker.waitFor(seconds: 30) { try store.metrics().jobs[.prepared] == 1 }, "\(worker.errorText.suffix(1500))")
        #expect(!worker.errorText.contains("\"event\":\"worker.error\""), "the worker waited, it did not fail: \(worker.errorText.suffix(1500))")
        #expect(worker.process.isRunning)
    }
}
