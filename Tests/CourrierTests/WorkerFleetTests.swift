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
        let fleet = try WorkerFleet(settings: ["COURRIER_CUT_EVERY": "1m"])
        defer { fleet.stop() }
        let (server, url) = (fleet.server, fleet.url)
        let accounts = [("f0", 0), ("f1", 15), ("f2", 45), ("f3", 90), ("f4", 120)]
        try fleet.fund(accounts)
        let workers = try fleet.startWorkers(["w1", "w2", "w3"])
        defer { for worker in workers where worker.process.isRunning { _ = worker.terminate(within: 30) } }

        let waves = 4, perAccount = 30
        // The waves span 45 s from the 35th second of a minute: a cut falls among them.
        let second = Int(Date().timeIntervalSince1970) % 60
        if second < 35 { Thread.sleep(forTimeInterval: Double(35 - second)) }
        var lastWave = Date()
        for wave in 0..<waves {
            let started = Date()
            let files = try fleet.wave(wave, accounts: accounts.map(\.0), perAccount: perAccount)
            let queued = try runCourrier(["enqueue"] + files, environment: fleet.environment("queue"), in: fleet.folder.url)
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
        let inDrop = try fleet.lettersInDrop()
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
