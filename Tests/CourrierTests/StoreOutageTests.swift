import Foundation
import Testing
@testable import Courrier
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
        let worker = try WorkerProcess(environment: environment, in: folder.url)
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
        #expect(worker.terminate(within: 30) == 0, "\(worker.errorText.suffix(500))")
    }

    @Test func aWorkerWaitsWhileAnotherProcessHoldsTheSQLiteWriteLock() throws {
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let database = folder.path("courrier.sqlite")
        let environment = ["COURRIER_DATABASE": database, "COURRIER_OUTBOX": folder.path("outbox"), "COURRIER_POLL": "1s"]
        #expect(try runCourrier(["wallet", "credit", "acme", "100", "--reference", "top-up"], environment: environment,
                                in: folder.url).status == 0)
        let worker = try WorkerProcess(environment: environment, in: folder.url)
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
