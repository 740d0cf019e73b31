import Foundation
import Testing
@testable import Courrier
import Bundling
import Letters
@testable import Storage

/// Several workers on one PostgreSQL, as an operator who outgrows one machine
/// runs them: they share the queue, the wallets and the cuts without losing
/// a letter, charging one twice, or holding one back past its cut.
@Suite struct WorkerFleetTests {
    /// Three workers cutting every minute, five accounts whose wallets pay for
    /// 0, 15, 45, 90 and all 120 of their letters, 600 letters in four waves
    /// 15 s apart: every paid letter reaches the print shop's drop once, in
    /// one of the two cuts after it was queued, and no worker logs an error:
    /// what two workers race for (a deadlock, a lock) is retried inside the
    /// store, not failed.
    @Test func threeWorkersMailSixHundredLettersInWavesEachWithinTwoCuts() throws {
        let server = try PostgresServer.dedicated()
        defer { server.stop() }
        let folder = try TemporaryFolder()
        _ = try folder.copyFixtureDocuments()
        let url = try server.makeDatabase()
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        let shared = ["COURRIER_DATABASE": url, "COURRIER_DELIVER": "file://\(drop.path)", "COURRIER_DELIVERY_RETRY": "0s",
                      "COURRIER_POLL": "1s", "COURRIER_CUT_EVERY": "1m", "COURRIER_LOG_LEVEL": "info"]
        func environment(_ name: String) -> [String: String] {
            shared.merging(["COURRIER_OUTBOX": folder.path("outbox-\(name)"), "COURRIER_WORKER_ID": name]) { $1 }
        }
        // One-page letters at 1.45 EUR.
        let accounts = [("f0", 0), ("f1", 15), ("f2", 45), ("f3", 90), ("f4", 120)]
        for (account, paid) in accounts where paid > 0 {
            let credit = try runCourrier(["wallet", "credit", account, Cents.decimalString(Int64(paid) * 145),
                                          "--reference", "top-up-\(account)"], environment: environment("setup"), in: folder.url)
            #expect(credit.status == 0, "\(credit.error)")
        }
        let workers = try ["w1", "w2", "w3"].map { try WorkerProcess(environment: environment($0), in: folder.url) }
        defer { for worker in workers where worker.process.isRunning { _ = worker.terminate(within: 30) } }

        let waves = 4, perAccount = 30
        // The waves span 45 s from the 35th second of a minute: a cut falls among them.
        let second = Int(Date().timeIntervalSince1970) % 60
        if second < 35 { Thread.sleep(forTimeInterval: Double(35 - second)) }
        var lastWave = Date()
        for wave in 0..<waves {
            let started = Date()
            let files = try accounts.flatMap { account, _ in
                try (0..<perAccount).map { index in
                    try folder.write("documents/\(account)-\(wave)-\(index).json", try fixtureDocument("acme-entretien-fr.json") {
                        $0["account"] = account
                        $0["id"] = "\(account)-\(wave)-\(index)"
                    }).path
                }
            }
            let queued = try runCourrier(["enqueue"] + files, environment: environment("queue"), in: folder.url)
            #expect(queued.status == 0, "\(queued.error.suffix(300))")
            lastWave = Date()
            if wave < waves - 1 { Thread.sleep(forTimeInterval: max(0, 15 - Date().timeIntervalSince(started))) }
        }

        // The last wave's second cut is at most two minutes after it was queued.
        let paid = accounts.reduce(0) { $0 + $1.1 }
        func delivered() throws -> Int {
            Int(try server.psql(url: url, "SELECT count(*) FROM courrier.jobs WHERE state = 'delivered'")) ?? 0
        }
        let deadline = lastWave.addingTimeInterval(150)
        while try delivered() < paid, Date() < deadline { Thread.sleep(forTimeInterval: 1) }

        for worker in workers {
            #expect(worker.process.isRunning, "a worker stayed up: \(worker.errorText.suffix(600))")
        }
        let manifests = try deliveredManifests(in: drop)
        let inDrop = manifests.flatMap { $0.letters.map(\.job) }
        #expect(inDrop.count == paid, "every paid letter reached the print shop: \(inDrop.count) of \(paid)")
        #expect(inDrop.count == Set(inDrop).count, "each letter once in the drop")

        // Each letter's bundle is the cut of one of the two slots after it was queued.
        let late = try server.psql(url: url, """
            SELECT count(*) FROM courrier.jobs j JOIN courrier.cut_slots s ON s.batch = j.batch
            WHERE s.slot::timestamptz > date_trunc('minute', j.created_at) + interval '2 minutes'
            """)
        let cut = try server.psql(url: url, """
            SELECT count(*) FROM courrier.jobs j JOIN courrier.cut_slots s ON s.batch = j.batch
            """)
        #expect(late == "0", "\(late) letters missed two cuts")
        #expect(cut == "\(paid)", "every paid letter was cut at a scheduled slot: \(cut)")

        let store = try PostgresStore(url: url)
        defer { store.close() }
        for (account, letters) in accounts {
            let debits = try store.history(account: account).filter { $0.kind == .debit }
            #expect(debits.count == letters, "\(account) was charged for the \(letters) letters it paid for")
            #expect(try store.balance(account: account) == 0)
        }
        let status = try store.status(failureLimit: 5)
        #expect(status.jobs[.failed] == nil, "\(status.failures)")
        #expect(status.jobs[.awaitingFunds] == accounts.count * waves * perAccount - paid)

        let errors = workers.flatMap { worker in
            worker.errorText.split(separator: "\n").filter { $0.contains("\"event\":\"worker.error\"") }
        }
        #expect(errors.isEmpty, "no worker logged an error: \(errors.prefix(3))")
        let retries = workers.map { $0.errorText.components(separatedBy: "\"event\":\"store.retrying\"").count - 1 }
        let slots = try server.psql(url: url, "SELECT count(*) FROM courrier.cut_slots WHERE batch IS NOT NULL")
        #expect((Int(slots) ?? 0) >= 2, "the letters were spread over the cuts they arrived between: \(slots) cuts")
        Swift.print("worker fleet: \(inDrop.count) letters in \(slots) cuts; the workers retried \(retries) transactions")
    }
}
