import Foundation
import Testing
@testable import Courrier
import Letters
import Storage
import Bundling

/// Claims in the store: a letter in hand when its process died is prepared
/// next alone and is set aside only if it kills that process too, and no two
/// processes ever take one cut, whatever their worker id.
@Suite struct ClaimTests {
    /// A claim of a process of this machine that has ended.
    static func deadClaimant(worker: String = "crashed") throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return Claimant(host: ProcessInfo.processInfo.hostName, pid: process.processIdentifier,
                        token: "0123456789abcdef", worker: worker).stored
    }

    /// A process that claimed the oldest queued letters, started preparing
    /// the first, and died with it in hand.
    static func crashWhilePreparing(_ store: LetterStore) throws -> Int64 {
        let dead = try deadClaimant()
        let claimed = try store.claimQueued(limit: 16, worker: dead, lease: 300, at: Date())
        let first = try #require(claimed.first).job.id
        #expect(try store.startPreparing(job: first, worker: dead, finished: nil))
        return first
    }

    @Test func aLetterThatKillsItsProcessOnceIsPreparedOnTheNextRound() throws {
        let room = try TestMailRoom()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.enqueue(Paths.document("acme-invoice-fr.json"), Paths.document("acme-entretien-fr.json"))
        let letter = try Self.crashWhilePreparing(room.store)
        let report = try room.mailRoom.prepareAll()
        #expect(report.prepared == 2)
        #expect(try room.store.job(letter)?.state == .prepared)
    }

    @Test func aLetterInHandAtAnOutsideKillIsPreparedAloneAndNeverBlamed() throws {
        let room = try TestMailRoom()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.enqueue(Paths.document("acme-invoice-fr.json"), Paths.document("acme-entretien-fr.json"))
        // Killed from outside with the same letter in hand, twice.
        let letter = try Self.crashWhilePreparing(room.store)
        try room.store.releaseClaims(of: try room.store.claimingWorkers(), at: Date())
        #expect(try Self.crashWhilePreparing(room.store) == letter)
        try room.store.releaseClaims(of: try room.store.claimingWorkers(), at: Date())

        let report = try room.mailRoom.prepareAll()
        #expect(report.prepared == 2, "the letter was prepared alone and went on: \(report)")
        #expect(try room.store.job(letter)?.state == .prepared)
        #expect(try room.store.metrics().failuresByReason["crashed"] == nil)
    }

    @Test func aLetterThatKillsItsIsolatedAttemptTooFailsAsCrashedAndTheQueueGoesOn() throws {
        let room = try TestMailRoom()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        // A poison letter: test builds abort when they prepare it (a failpoint, never in a release).
        _ = try room.folder.copyFixtureDocuments()
        let poisonFile = try room.folder.write("documents/poison.json", try fixtureDocument { $0["id"] = "FAILPOINT-CRASH-1" })
        let poison = try #require(try room.enqueue(poisonFile).first).job.id
        _ = try room.enqueue(Paths.document("acme-entretien-fr.json"), Paths.document("acme-releve-mensuel-fr.json"))
        // It was in hand when its process died, as a run that prepared it would.
        #expect(try Self.crashWhilePreparing(room.store) == poison)
        try room.store.releaseClaims(of: try room.store.claimingWorkers(), at: Date())

        let report = try room.mailRoom.prepareAll()
        #expect(report.prepared == 2)
        let job = try #require(try room.store.job(poison))
        #expect(job.state == .failed)
        #expect(job.reason?.contains("ended its process, and then the process that prepared it alone (signal 6, SIGABRT)") == true,
                "\(job.reason ?? "")")
        #expect(try room.store.metrics().failuresByReason["crashed"] == 1)
        // Nothing was charged for it.
        #expect(try room.store.history(account: "acme").filter { $0.kind == .debit }.compactMap(\.job).contains(poison) == false)
    }

    /// The isolated attempt ends with an error rather than a crash (its
    /// process could not reach the store, say): the letter is neither blamed
    /// nor allowed to hold up the letters behind it. It waits out its lease.
    @Test func aLetterWhoseIsolatedAttemptCannotDecideWaitsAndTheQueueGoesOn() throws {
        let room = try TestMailRoom()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.folder.copyFixtureDocuments()
        let file = try room.folder.write("documents/undecided.json", try fixtureDocument { $0["id"] = "FAILPOINT-ALONE-ERROR-1" })
        let suspect = try #require(try room.enqueue(file).first).job.id
        _ = try room.enqueue(Paths.document("acme-entretien-fr.json"), Paths.document("acme-releve-mensuel-fr.json"))
        #expect(try Self.crashWhilePreparing(room.store) == suspect)
        try room.store.releaseClaims(of: try room.store.claimingWorkers(), at: Date())

        let report = try room.mailRoom.prepareAll()
        #expect(report.prepared == 2, "the letters behind it went on: \(report)")
        #expect(try room.store.job(suspect)?.state == .queued, "not blamed, not lost")
        let deferred = room.logLines.events.filter { $0["event"] as? String == "job.deferred" }
        #expect(deferred.first?["reason"] as? String == "job \(suspect) could not be prepared alone: the failpoint refused to decide",
                "\(deferred)")
        // Once its lease has run out, it is tried alone again.
        let later = try room.store.claimQueued(limit: 16, worker: "later", lease: 300, at: Date().addingTimeInterval(301))
        #expect(later.map(\.job.id) == [suspect])
        #expect(later.first?.attempts ?? 0 > 0, "still prepared alone next time")
    }

    @Test func aLetterWhoseLeaseRanOutTwiceOnAnotherMachineIsPreparedAloneAndGoesOn() throws {
        let room = try TestMailRoom()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.enqueue(Paths.document("acme-invoice-fr.json"))
        let now = Date()
        // Two machines lost with the letter in hand.
        for (host, ago) in [("machine-a", 600.0), ("machine-b", 400.0)] {
            let claimant = Claimant(host: host, pid: 4242, token: "feedfacecafebeef", worker: "w").stored
            let claimed = try room.store.claimQueued(limit: 1, worker: claimant, lease: 60, at: now.addingTimeInterval(-ago))
            #expect(try room.store.startPreparing(job: try #require(claimed.first).job.id, worker: claimant, finished: nil))
        }
        let claimed = try #require(try room.store.claimQueued(limit: 16, worker: room.mailRoom.claimant.stored, lease: 300, at: now).first)
        #expect(claimed.attempts == 2, "the store remembers it was in hand at two deaths")
        try room.store.releaseClaims(of: [room.mailRoom.claimant.stored], at: now)
        #expect(try room.mailRoom.prepareAll().prepared == 1, "prepared alone, and not blamed for the lost machines")
        #expect(try room.store.metrics().jobs[.failed] == nil)
    }

    @Test func twoProcessesWithOneWorkerIDNeverShareACut() throws {
        let folder = try TemporaryFolder()
        let first = try TestMailRoom(folder: folder) { $0.workerID = "shared" }
        let second = try TestMailRoom(folder: folder) { $0.workerID = "shared" }
        _ = try first.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try first.enqueue(Paths.document("acme-invoice-fr.json"))
        _ = try first.mailRoom.prepareAll()
        #expect(first.mailRoom.claimant.stored != second.mailRoom.claimant.stored)
        let cut = try #require(try first.store.openCut(batchPrefix: "20261201-100000", worker: first.mailRoom.claimant.stored,
                                                       lease: 3600, slot: nil, at: Date()).cut)
        // The second, same worker id, live process: it waits, and says for whom.
        let round = try second.mailRoom.cutting.round(slot: nil)
        #expect(round.bundles.isEmpty)
        #expect(round.busyWith?.batch == cut.batch)
        #expect(round.busyWith.flatMap { Claimant(stored: $0.worker) }?.token == first.mailRoom.claimant.token)
        // A writer that lost its cut publishes nothing.
        #expect(try second.store.renewCut(cut.batch, worker: second.mailRoom.claimant.stored, lease: 60, at: Date()) == false)
        #expect(try second.store.completeCut(cut.batch, worker: second.mailRoom.claimant.stored,
                                             summary: BundleSummary(path: "x", letters: 1, pages: 1, sheets: 1, amountCents: 145),
                                             at: Date()) == false)
        // Its holder finishes it.
        let finished = try first.mailRoom.cutting.round(slot: nil, openingNew: false)
        #expect(finished.bundles.map(\.batch) == [cut.batch])
    }

    @Test func courrierCutTakesBackTheCutOfADeadProcessAndNamesALiveOne() throws {
        let folder = try TemporaryFolder()
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox")]
        let room = try TestMailRoom(folder: folder)
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.enqueue(Paths.document("acme-invoice-fr.json"))
        _ = try room.mailRoom.prepareAll()
        // A live process (this test) holds a cut: courrier cut says who, and when it started.
        let live = Claimant.current(worker: "nightly").stored
        let cut = try #require(try room.store.openCut(batchPrefix: "20261201-100000", worker: live, lease: 3600,
                                                      slot: nil, at: Date()).cut)
        let waiting = try runCourrier(["cut"], environment: environment, in: folder.url)
        #expect(waiting.status == 0)
        #expect(waiting.output.contains("another process is cutting bundle \(cut.batch) (PID \(ProcessInfo.processInfo.processIdentifier)"))
        #expect(waiting.output.contains("worker nightly, since"))

        // The holder dies: the next courrier cut finishes its cut at once, not in an hour.
        try room.store.releaseClaims(of: [live], at: Date())
        _ = try room.store.claimUnfinishedCuts(worker: try Self.deadClaimant(), lease: 3600, at: Date())
        let finished = try runCourrier(["cut"], environment: environment, in: folder.url)
        #expect(finished.status == 0, "\(finished.error)")
        #expect(finished.output.contains("Bundle \(cut.batch): 1 letter"))
    }
}

/// The manifests of the bundles in a print shop's drop, each checked as the
/// print shop would: whole (READY) and matching its SHA256SUMS.
func deliveredManifests(in drop: URL) throws -> [Manifest] {
    try FileManager.default.contentsOfDirectory(atPath: drop.path).map { bundle in
        let folder = drop.appendingPathComponent(bundle)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("READY").path), "\(bundle)")
        #expect(try sha256sumCheck(folder), "\(bundle)")
        return try Manifest.decode(Data(contentsOf: folder.appendingPathComponent("manifest.json")))
    }
}

/// Three `courrier run` processes at once, two of them with the same worker
/// id, killed with SIGKILL at random points of prepare, cut (its parts drawn
/// in processes of their own) and deliver, round after round: every letter
/// ends in exactly one whole bundle in the print shop's drop, charged once.
@Suite struct ConcurrentKillTests {
    @Test func threeProcessesKilledAtRandomChargeOnceAndDeliverEachLetterOnce() throws {
        let folder = try TemporaryFolder()
        let documents = folder.url.appendingPathComponent("documents")
        try FileManager.default.createDirectory(at: documents, withIntermediateDirectories: true)
        for name in ["terms", "logos"] {
            try FileManager.default.copyItem(at: Paths.documents.appendingPathComponent(name), to: documents.appendingPathComponent(name))
        }
        // Enough that rounds still have work when they are killed: a letter takes about 2.5 ms.
        let count = 200
        var files: [String] = []
        for index in 0..<count {
            let file = try folder.write("documents/doc-\(index).json", try fixtureDocument(index % 2 == 0 ? "acme-invoice-fr.json" : "acme-entretien-fr.json") {
                $0["id"] = "THREE-\(index)"
                if index % 3 == 0 { $0["print"] = ["duplex": true] }
            })
            files.append(file.path)
        }
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        let environment = ["COURRIER_DATABASE": folder.path("store.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_DELIVER": "file://\(drop.path)", "COURRIER_LOG_LEVEL": "error",
                           // Parts of 40 sheets: the cut draws them in processes of its own, killed with it.
                           "COURRIER_FILE_SHEETS": "40"]
        try runCourrier(["wallet", "credit", "acme", "1000", "--reference", "top-up"], environment: environment, in: folder.url)
        #expect(try runCourrier(["enqueue"] + files, environment: environment, in: folder.url).status == 0)

        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<8 {
            let processes = try ["shared", "shared", "other"].map { worker in
                let process = Process()
                process.executableURL = try Paths.courrierBinary
                process.arguments = ["run"]
                process.currentDirectoryURL = folder.url
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                    .merging(["COURRIER_WORKER_ID": worker]) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                return process
            }
            for process in processes {
                usleep(UInt32.random(in: 5_000...150_000, using: &generator))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    kills += 1
                }
            }
            processes.forEach { $0.waitUntilExit() }
        }
        #expect(kills > 0, "every run finished before it could be killed")
        let final = try runCourrier(["run"], environment: environment, in: folder.url)
        #expect(final.status == 0, "\(final.error)")

        let store = try SQLiteStore(path: folder.path("store.sqlite"))
        defer { store.close() }
        let jobs = try (1...Int64(count + 1)).compactMap { try store.job($0) }.filter { $0.account == "acme" }
        // Kills from outside blame no letter: every one is delivered.
        let delivered = jobs.filter { $0.state == .delivered }
        let status = try store.status(failureLimit: 5)
        let states = status.jobs
        #expect(states[.failed] == nil, "\(status.failures)")
        #expect(delivered.count == count, "\(states)")

        let debits = try store.history(account: "acme").filter { $0.kind == .debit }
        #expect(Set(debits.compactMap(\.job)) == Set(delivered.map(\.id)))
        #expect(debits.count == delivered.count)
        let charged = debits.reduce(0) { $0 - $1.amountCents }

        let manifests = try deliveredManifests(in: drop)
        let inDrop = manifests.flatMap { $0.letters.map(\.job) }
        let amount = manifests.reduce(0) { $0 + $1.totals.amountCents }
        #expect(manifests.contains { $0.streams.contains { ($0.parts ?? 1) > 1 } }, "some bundle was drawn in parts")
        #expect(inDrop.count == delivered.count, "each letter once in the print shop's drop")
        #expect(Set(inDrop) == Set(delivered.map(\.id)))
        #expect(amount == charged)
    }
}
