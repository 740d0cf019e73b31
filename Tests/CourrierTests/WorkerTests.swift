import Foundation
import Testing
@testable import Courrier
import Letters
import Storage

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    // @unchecked Sendable: set and read on the test's own thread only.
    var now: Date

    init(_ timestamp: String) {
        now = UTCTimestamp.date(timestamp)!
    }

    func set(_ timestamp: String) {
        now = UTCTimestamp.date(timestamp)!
    }
}

/// A mail room on a store in `folder`, its clock in the test's hand.
func clockedMailRoom(_ folder: TemporaryFolder, clock: ManualClock, worker: String,
                     configure: (inout Configuration) -> Void = { _ in }) throws -> (MailRoom, LogLines) {
    var configuration = Configuration(database: folder.path("courrier.sqlite"), outbox: folder.path("outbox"),
                                      workerID: worker)
    configure(&configuration)
    let lines = LogLines()
    let room = MailRoom(configuration: configuration, store: try SQLiteStore(path: configuration.database),
                        tariff: .standard, log: EventLog(minimumLevel: .debug, worker: worker) { lines.append($0) },
                        clock: { clock.now })
    return (room, lines)
}

@Suite struct CutScheduleTests {
    static let names = ("CUT_AT", "CUT_DAYS", "CUT_EVERY", "TIME_ZONE")

    @Test func slotsAreInTheNamedTimeZoneOnWorkingDays() throws {
        let schedule = try CutSchedule.parse(at: "10:00,16:00", days: "mon-fri", every: nil, timeZone: "Europe/Brussels",
                                             names: Self.names)
        func latest(_ time: String) -> String? { schedule.latestSlot(atOrBefore: UTCTimestamp.date(time)!).map { UTCTimestamp.string($0) } }
        // Monday 30 November 2026, winter time (UTC+1).
        #expect(latest("2026-11-30T08:59:59Z") == "2026-11-27T15:00:00Z")  // Friday 16:00
        #expect(latest("2026-11-30T09:00:00Z") == "2026-11-30T09:00:00Z")
        #expect(latest("2026-11-30T14:59:00Z") == "2026-11-30T09:00:00Z")
        // Summer time (UTC+2): 10:00 in Brussels is 08:00 UTC.
        #expect(latest("2026-07-01T08:30:00Z") == "2026-07-01T08:00:00Z")
        // Saturday: still Friday's last slot.
        #expect(latest("2026-11-28T12:00:00Z") == "2026-11-27T15:00:00Z")
        #expect(schedule.nextSlot(after: UTCTimestamp.date("2026-11-27T16:00:00Z")!).map { UTCTimestamp.string($0) }
                == "2026-11-30T09:00:00Z")
        #expect(schedule.description == "10:00,16:00 mon,tue,wed,thu,fri Europe/Brussels")
    }

    @Test func everyNMinutes() throws {
        let schedule = try CutSchedule.parse(at: nil, days: nil, every: "30m", timeZone: "UTC", names: Self.names)
        #expect(schedule.latestSlot(atOrBefore: UTCTimestamp.date("2026-11-30T10:44:00Z")!)
                == UTCTimestamp.date("2026-11-30T10:30:00Z"))
        #expect(schedule.nextSlot(after: UTCTimestamp.date("2026-11-30T23:44:00Z")!) == UTCTimestamp.date("2026-12-01T00:00:00Z"))
    }

    @Test(arguments: [
        ("25:00", nil, nil, nil, "CUT_AT is \"25:00\""),
        (nil, "someday", nil, nil, "CUT_DAYS is \"someday\""),
        (nil, nil, "7m", nil, "CUT_EVERY is \"7m\""),
        (nil, nil, nil, "Europe/Atlantis", "TIME_ZONE is \"Europe/Atlantis\""),
        ("10:00", nil, "30m", nil, "CUT_EVERY and CUT_AT/CUT_DAYS both set"),
    ] as [(String?, String?, String?, String?, String)])
    func aWrongScheduleIsNamed(_ at: String?, _ days: String?, _ every: String?, _ zone: String?, _ message: String) {
        let error = #expect(throws: MailRoomError.self) {
            try CutSchedule.parse(at: at, days: days, every: every, timeZone: zone, names: Self.names)
        }
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }
}

@Suite struct WorkerScheduleTests {
    /// Worker A prepares but does not cut before 10:00; it stops; worker B
    /// starts after 10:00 and cuts once; worker C cuts nothing more for that
    /// slot, and the 16:00 slot gets its own cut.
    @Test func aRestartAcrossAScheduledTimeCutsOnce() throws {
        let folder = try TemporaryFolder()
        let clock = ManualClock("2026-11-30T08:58:00Z")  // Monday 09:58 in Brussels
        let (roomA, _) = try clockedMailRoom(folder, clock: clock, worker: "host-a:1")
        _ = try roomA.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try roomA.queueing.enqueue(files: [Paths.document("acme-entretien-fr.json")])
        let workerA = Worker(mailRoom: roomA)
        #expect(try workerA.tick().prepare.prepared == 1)
        clock.set("2026-11-30T08:59:30Z")
        #expect(try workerA.tick().bundles.isEmpty, "no cut before 10:00, nor for last Friday's 16:00")
        roomA.close()

        clock.set("2026-11-30T09:03:00Z")  // 10:03: the worker was down at 10:00
        let (roomB, logB) = try clockedMailRoom(folder, clock: clock, worker: "host-b:2")
        let workerB = Worker(mailRoom: roomB)
        let cut = try workerB.tick()
        #expect(cut.bundles.map(\.totals.letters) == [1])
        clock.set("2026-11-30T09:04:00Z")
        #expect(try workerB.tick().bundles.isEmpty)
        roomB.close()

        let (roomC, _) = try clockedMailRoom(folder, clock: clock, worker: "host-c:3")
        defer { roomC.close() }
        let workerC = Worker(mailRoom: roomC)
        _ = try roomC.queueing.enqueue(files: [Paths.document("acme-invoice-fr.json")])
        clock.set("2026-11-30T09:05:00Z")
        let afterRestart = try workerC.tick()
        #expect(afterRestart.prepare.prepared == 1 && afterRestart.bundles.isEmpty, "10:00 was cut already")
        clock.set("2026-11-30T15:00:30Z")  // 16:00:30
        #expect(try workerC.tick().bundles.map(\.totals.letters) == [1])
        #expect(try roomC.store.status(failureLimit: 1).bundles.count == 2)
        #expect(try roomC.store.latestCutSlot() == "2026-11-30T15:00:00Z")
        #expect(logB.events.contains { $0["event"] as? String == "bundle.cut" && $0["worker"] as? String == "host-b:2" })
    }
}

@Suite struct CutCommandTests {
    /// `courrier cut` bundles what is prepared now, whatever the schedule,
    /// and says when there was nothing to cut.
    @Test func cutNowFromTheCommandLine() throws {
        let folder = try TemporaryFolder()
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox")]
        let empty = try runCourrier(["cut"], environment: environment, in: folder.url)
        #expect(empty.status == 0 && empty.output == "No bundle: nothing was ready to cut.\n", "\(empty.output)")

        let store = try SQLiteStore(path: folder.path("courrier.sqlite"))
        let room = MailRoom(configuration: Configuration(database: folder.path("courrier.sqlite"), outbox: folder.path("outbox")),
                            store: store, tariff: .standard, log: EventLog { _ in })
        _ = try room.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.queueing.enqueue(files: [Paths.document("acme-entretien-fr.json")])
        #expect(try room.prepareAll().prepared == 1)
        room.close()

        let cut = try runCourrier(["cut", "--json"], environment: environment, in: folder.url)
        #expect(cut.status == 0)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(cut.output.utf8)) as? [String: Any])
        let bundles = try #require(answer["bundles"] as? [String])
        #expect(bundles.count == 1)
        #expect(try sha256sumCheck(URL(fileURLWithPath: bundles[0])))
    }
}

@Suite struct WorkerRoundTests {
    /// The round that cuts hands the bundle over at once, READY last.
    @Test func aScheduledCutIsDeliveredInTheSameRound() throws {
        let folder = try TemporaryFolder()
        let share = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
        let clock = ManualClock("2026-11-30T08:00:00Z")
        let (room, _) = try clockedMailRoom(folder, clock: clock, worker: "host-a:1") {
            $0.deliverURL = "file://\(share.path)"
            $0.schedule = try! CutSchedule.parse(at: nil, days: nil, every: "30m", timeZone: "UTC",
                                                  names: ("at", "days", "every", "zone"))
        }
        defer { room.close() }
        _ = try room.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        _ = try room.queueing.enqueue(files: [Paths.document("acme-entretien-fr.json")])
        let worker = Worker(mailRoom: room)
        try worker.tick()  // the first round starts the schedule after 08:00
        clock.set("2026-11-30T08:30:05Z")
        let round = try worker.tick()
        let bundle = try #require(round.bundles.first)
        #expect(round.delivery?.delivered.map(\.batch) == [bundle.batch])
        #expect(fileNames(share.appendingPathComponent(bundle.batch)).contains("READY"))
        #expect(try room.store.status(failureLimit: 1).jobs[.delivered] == 1)
    }

    /// A letter waiting for funds is said once, not at every round, and goes
    /// out at the first round after a top-up.
    @Test func aLetterWaitingForFundsIsQuietUntilTheTopUp() throws {
        let folder = try TemporaryFolder()
        let clock = ManualClock("2026-11-30T09:30:00Z")
        let (room, log) = try clockedMailRoom(folder, clock: clock, worker: "host-a:1")
        defer { room.close() }
        _ = try room.queueing.enqueue(files: [Paths.document("acme-entretien-fr.json")])
        let worker = Worker(mailRoom: room)
        for _ in 0..<3 { try worker.tick() }
        #expect(log.events.filter { $0["event"] as? String == "wallet.insufficient" }.count == 1)
        _ = try room.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        #expect(try worker.tick().prepare.prepared == 1)
        #expect(try room.store.balance(account: "acme") == 1000 - 145)
    }
}

@Suite(.serialized) struct CourrierProcessTests {
    @Test func lettersEnqueuedWhileItRunsArePreparedWithinAFewPolls() throws {
        let folder = try TemporaryFolder()
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_POLL": "0.2s", "COURRIER_CUT_AT": "03:00", "COURRIER_CUT_DAYS": "sun"]
        try runCourrier(["wallet", "credit", "acme", "20", "--reference", "top-up"], environment: environment, in: folder.url)
        let worker = try CourrierProcess(environment: environment, in: folder.url)
        #expect(worker.waitFor(seconds: 10) { worker.events.contains { $0["event"] as? String == "worker.started" } })
        try runCourrier(["enqueue", Paths.document("acme-entretien-fr.json").path], environment: environment, in: folder.url)
        let store = try SQLiteStore(path: folder.path("courrier.sqlite"))
        defer { store.close() }
        let prepared = try worker.waitFor(seconds: 5) { try store.status(failureLimit: 1).jobs[.prepared] == 1 }
        #expect(prepared, "the letter was not prepared within 5 s at a 0.2 s poll")
        #expect(worker.terminate(within: 10) == 0)
        #expect(worker.events.allSatisfy { $0["worker"] as? String != nil }, "every line names the worker")
        #expect(worker.events.last?["event"] as? String == "worker.stopped")
    }

    /// A worker polling every minute still prepares a letter within a second
    /// of its being queued: it watches the store's change counter meanwhile.
    @Test func anIdleWorkerPreparesANewLetterWithinASecond() throws {
        let folder = try TemporaryFolder()
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_POLL": "60s", "COURRIER_CUT_AT": "03:00", "COURRIER_CUT_DAYS": "sun"]
        try runCourrier(["wallet", "credit", "acme", "20", "--reference", "top-up"], environment: environment, in: folder.url)
        let worker = try CourrierProcess(environment: environment, in: folder.url)
        #expect(worker.waitFor(seconds: 10) { worker.events.contains { $0["event"] as? String == "worker.started" } })
        usleep(500_000)  // asleep in its minute
        let store = try SQLiteStore(path: folder.path("courrier.sqlite"))
        defer { store.close() }
        let documents = try folder.copyFixtureDocuments()
        let queued = Date()
        try runCourrier(["enqueue", documents.appendingPathComponent("acme-entretien-fr.json").path],
                        environment: environment, in: folder.url)
        let enqueueSeconds = Date().timeIntervalSince(queued)
        let prepared = try worker.waitFor(seconds: 10) { try store.status(failureLimit: 1).jobs[.prepared] == 1 }
        let seconds = Date().timeIntervalSince(queued) - enqueueSeconds
        #expect(prepared)
        // A second as the issue asks, with room for a loaded machine; the note quotes what it measures.
        #expect(seconds < 2, "prepared \(seconds) s after it was queued, with a 60 s poll")
        #expect(worker.terminate(within: 10) == 0)
    }

    /// SIGTERM while letters are being prepared: the worker exits 0, every
    /// letter is either prepared and charged once or queued and untouched,
    /// and the next start does the rest.
    @Test func sigtermInTheMiddleLeavesNothingHalfDone() throws {
        let folder = try TemporaryFolder()
        _ = try folder.copyFixtureDocuments()  // the terms and the logo the fixtures refer to
        // Enough that some are still queued when SIGTERM comes: a letter takes well under a millisecond to prepare.
        let count = 600
        let files = try (0..<count).map { index in
            try folder.write("documents/term-\(index).json", try fixtureDocument("acme-entretien-fr.json") { $0["id"] = "TERM-\(index)" }).path
        }
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_POLL": "0.2s", "COURRIER_CUT_AT": "03:00", "COURRIER_CUT_DAYS": "sun"]
        try runCourrier(["wallet", "credit", "acme", "2000", "--reference", "top-up"], environment: environment, in: folder.url)
        try runCourrier(["enqueue"] + files, environment: environment, in: folder.url)

        let worker = try CourrierProcess(environment: environment, in: folder.url)
        #expect(worker.waitFor(seconds: 20) { worker.events.contains { $0["event"] as? String == "job.prepared" } })
        #expect(worker.terminate(within: 15) == 0)

        let store = try SQLiteStore(path: folder.path("courrier.sqlite"))
        defer { store.close() }
        let status = try store.status(failureLimit: 1)
        let prepared = status.jobs[.prepared] ?? 0, queued = status.jobs[.queued] ?? 0
        #expect(prepared + queued == count, "\(status.jobs)")
        #expect(queued > 0, "every letter was done before SIGTERM arrived; nothing was left to put back")
        let debits = try store.history(account: "acme").filter { $0.kind == .debit }
        #expect(debits.count == prepared && Set(debits.compactMap(\.job)).count == prepared)
        #expect(try store.claimingWorkers().isEmpty, "the letters not started were given back")

        // The next start prepares the rest.
        try runCourrier(["run"], environment: environment, in: folder.url)
        let after = try store.history(account: "acme").filter { $0.kind == .debit }
        #expect(after.count == count && Set(after.compactMap(\.job)).count == count)
    }
}


@Suite struct MetricsTests {
    /// The metrics file read back as Prometheus reads it: every sample line
    /// well formed, and the numbers those of the store.
    @Test func theMetricsFileSaysWhatTheStoreSays() throws {
        let folder = try TemporaryFolder()
        let metricsFile = folder.path("metrics/courrier.prom")
        try FileManager.default.createDirectory(atPath: folder.path("metrics"), withIntermediateDirectories: true)
        let room = try TestMailRoom(folder: folder) { $0.metricsPath = metricsFile }
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        let broken = try folder.write("broken.json", try fixtureDocument("acme-entretien-fr.json") {
            $0["id"] = "BROKEN"
            $0["recipient"] = ["name": "Nobody"]
        })
        _ = try room.mailRoom.queueing.enqueue(files: [Paths.document("acme-entretien-fr.json"), broken])
        let report = try room.mailRoom.run()
        let bundle = try #require(report.bundles.first)

        let text = try String(contentsOfFile: metricsFile, encoding: .utf8)
        var samples: [String: Double] = [:]
        let sample = try Regex(#"^(courrier_[a-z_]+)(\{[a-z_]+="(?:[^"\\]|\\.)*"(?:,[a-z_]+="(?:[^"\\]|\\.)*")*\})? (-?[0-9]+(?:\.[0-9]+)?)$"#)
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP courrier_") || line.hasPrefix("# TYPE courrier_") { continue }
            let match = try #require(try sample.wholeMatch(in: String(line)), "not a sample line: \(line)")
            let name = String(match.output[1].substring!) + String(match.output[2].substring ?? "")
            samples[name] = Double(String(match.output[3].substring!))
        }
        let status = try room.store.status(failureLimit: 10)
        for state in JobState.allCases {
            #expect(samples["courrier_jobs{state=\"\(state.rawValue)\"}"] == Double(status.jobs[state] ?? 0), "\(state)")
        }
        #expect(samples["courrier_failed_jobs{reason=\"invalid_document\"}"] == 1)
        #expect(samples["courrier_bundles_total"] == 1)
        #expect(samples["courrier_bundled_letters_total"] == Double(bundle.totals.letters))
        #expect(samples["courrier_bundled_amount_cents_total"] == Double(bundle.totals.amountCents))
        #expect(samples["courrier_last_cut_sheets{batch=\"\(bundle.batch)\"}"] == Double(bundle.totals.sheets))
        #expect(samples["courrier_oldest_queued_seconds"] == 0)
        #expect(samples["courrier_undelivered_bundles"] == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("metrics")) == ["courrier.prom"],
                "written aside and renamed: no temporary file left")

        // `courrier status --json` gives a program the same figures.
        let answer = Output(json: true).status(status, metrics: try room.store.metrics(),
                                               nextCut: UTCTimestamp.date("2026-12-01T09:00:00Z"), now: Date()).text
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any])
        #expect((json["failures_by_reason"] as? [String: Int])?["invalid_document"] == 1)
        #expect((json["last_cut"] as? [String: Any])?["letters"] as? Int == bundle.totals.letters)
        #expect(json["oldest_queued_seconds"] is NSNull || json["oldest_queued_seconds"] == nil)
        #expect(json["next_scheduled_cut"] as? String == "2026-12-01T09:00:00Z")
    }
}

@Suite struct SystemdUnitTests {
    /// `systemd-analyze verify` on the units, with ExecStart pointed at the
    /// binary of this build; skipped where the machine has no systemd-analyze.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func theUnitsVerify() throws {
        let folder = try TemporaryFolder()
        let binary = try Paths.courrierBinary.path
        let units = ["courrier-worker.service", "courrier-run.service", "courrier-run.timer",
                     "courrier-purge.service", "courrier-purge.timer"]
        for unit in units {
            let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent("deploy/systemd/\(unit)"), encoding: .utf8)
            try folder.write(unit, text.replacingOccurrences(of: "/usr/local/bin/courrier", with: binary))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify"] + units.map(folder.path)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(!output.contains("courrier-"), "\(output)")
    }
}

@Suite struct PurgeTests {
    /// Letters delivered and failed in August are purged in November: their
    /// documents, attachments, bundle folder and failure texts go, down to
    /// the bytes of the database file; the ledger and the totals stay; what
    /// is recent or still in the queue is untouched.
    @Test func purgeForgetsPersonalDataAndKeepsTheLedger() throws {
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let share = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
        let clock = ManualClock("2026-08-03T09:00:00Z")
        let (room, _) = try clockedMailRoom(folder, clock: clock, worker: "host-a:1") { $0.deliverURL = "file://\(share.path)" }
        defer { room.close() }
        _ = try room.accounts.credit(account: "acme", cents: 2000, reference: "top-up")
        let broken = try folder.write("documents/broken.json", try fixtureDocument("acme-entretien-fr.json") {
            $0["id"] = "OLD-FAILED"
            $0["recipient"] = ["name": "Gérard Confidentiel", "street": "Rue Secrète 1", "postal_code": "12", "city": "X", "country": "BE"]
        })
        _ = try room.queueing.enqueue(files: [documents.appendingPathComponent("acme-invoice-fr.json"), broken])
        let august = try room.run()
        let bundle = try #require(august.bundles.first)
        #expect(august.delivery?.delivered.count == 1)

        clock.set("2026-11-20T09:00:00Z")
        let recent = try folder.write("documents/recent.json", try fixtureDocument("acme-entretien-fr.json") {
            $0["id"] = "RECENT-FAILED"
            $0["recipient"] = ["name": "Récente Personne", "street": "Rue 2", "postal_code": "99", "city": "Y", "country": "BE"]
        })
        _ = try room.queueing.enqueue(files: [recent, documents.appendingPathComponent("acme-entretien-fr.json")])
        let ledgerBefore = try room.store.history(account: "acme")
        let balanceBefore = try room.store.balance(account: "acme")

        clock.set("2026-11-30T09:00:00Z")
        let report = try room.records.purge(olderThan: 90 * 86_400)
        #expect(report.jobs == 2 && report.attachments == 2 && report.bundleFolders == [bundle.folder.path])
        #expect(!FileManager.default.fileExists(atPath: bundle.folder.path), "the rendered letters are gone")
        #expect(try room.store.history(account: "acme") == ledgerBefore)
        #expect(try room.store.balance(account: "acme") == balanceBefore)

        let status = try room.store.status(failureLimit: 10)
        #expect(status.jobs[.delivered] == 1 && status.jobs[.failed] == 2 && status.jobs[.queued] == 1)
        let reasons = status.failures.compactMap(\.reason)
        #expect(reasons.contains("purged (invalid_document)"))
        #expect(reasons.contains { $0.contains("recipient.postal_code") }, "the recent failure keeps its reason")
        let summary = try #require(status.bundles.first { $0.batch == bundle.batch })
        #expect(summary.letters == 1 && summary.amountCents == bundle.totals.amountCents && summary.path == nil)

        // Not a byte of the old letters' recipients is left in the store's files.
        let storeBytes = try [folder.path("courrier.sqlite"), folder.path("courrier.sqlite-wal")]
            .filter(FileManager.default.fileExists).map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        for name in ["Gérard Confidentiel", "Boulangerie Dupont"] {
            #expect(!storeBytes.contains { $0.range(of: Data(name.utf8)) != nil }, "\(name) is still in the store")
        }
        #expect(storeBytes.contains { $0.range(of: Data("Récente Personne".utf8)) != nil }, "the recent letter is kept")
    }
}

@Suite struct TerminalProgressTests {
    /// The line a person sees: letters done of all, the rate, the time left;
    /// log lines go above it and it is drawn again under them.
    @Test func theLineCountsRatesAndKeepsLogLinesAbove() {
        let written = LogLines()
        let clock = ManualClock("2026-11-30T10:00:00Z")
        let progress = TerminalProgress(write: { written.append($0) }, clock: { clock.now })
        progress.start("cut", total: 400)
        for _ in 0..<100 { progress.advance() }
        clock.set("2026-11-30T10:00:04Z")
        progress.advance()
        #expect(progress.line == "cut  101/400 letters  25/s  0:12 left")
        progress.log("{\"event\":\"bundle.stream\"}\n")
        progress.finish()
        let output = written.text
        #expect(output.contains("\r\u{1B}[K{\"event\":\"bundle.stream\"}\n\r\u{1B}[Kcut  101/400"), "\(output.debugDescription)")
        #expect(output.hasSuffix("\r\u{1B}[K"), "the line is cleared at the end")
    }
}
