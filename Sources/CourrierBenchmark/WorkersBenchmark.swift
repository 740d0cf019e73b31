import Courrier
import Foundation
import Letters
import Storage

/// Letters per second with several `courrier run` processes on one store,
/// SQLite and PostgreSQL; and how soon an idle worker hears of a new letter.
func benchmarkWorkers(fixtures: URL, letters: Int, postgres: String) throws {
    let courrier = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("courrier").path
    let invoice = try Data(contentsOf: fixtures.appendingPathComponent("acme-entretien-fr.json"))
    var rates: [String: [Int: Double]] = [:]
    for backend in ["sqlite", "postgres"] {
        for workers in [1, 2, 4] {
            let trial = try Trial(backend: backend, postgres: postgres)
            defer { trial.remove() }
            let store = try StoreLocation.open(trial.database)
            _ = try store.credit(account: "acme", cents: Int64(letters) * 200, reference: "bench", at: Date())
            var json = try JSONSerialization.jsonObject(with: invoice) as? [String: Any] ?? [:]
            for index in 0..<letters {
                json["id"] = "WORKERS-\(index)"
                _ = try store.enqueue(try checkedSubmission(json), at: Date())
            }
            let start = Date()
            // One thread each: the workers are the parallelism measured.
            let processes = try (0..<workers).map { worker in
                try ChildProgram(courrier, ["run", "--log-level", "error"], environment: [
                    "COURRIER_DATABASE": trial.database, "COURRIER_THREADS": "1", "COURRIER_WORKER_ID": "bench-\(worker)",
                    "COURRIER_OUTBOX": trial.folder.appendingPathComponent("outbox-\(worker)").path])
            }
            let statuses = processes.map { $0.wait() }
            // A run that found the cut busy leaves it to the one cutting; the last one out finishes.
            _ = try ChildProgram(courrier, ["run", "--log-level", "error"], environment: [
                "COURRIER_DATABASE": trial.database, "COURRIER_THREADS": "1",
                "COURRIER_OUTBOX": trial.folder.appendingPathComponent("outbox-0").path]).wait()
            let elapsed = Date().timeIntervalSince(start)
            let bundled = try store.metrics().jobs[.bundled, default: 0]
            store.close()
            guard statuses.allSatisfy({ $0 == 0 }), bundled == letters else {
                throw BenchmarkFailure("\(backend) with \(workers) workers: exits \(statuses), \(bundled) of \(letters) bundled")
            }
            rates[backend, default: [:]][workers] = Double(letters) / elapsed
            print(String(format: "%-8@ %d worker%@  %6.0f letters/s   (%d letters prepared and cut in %.2f s)",
                         backend, workers, workers == 1 ? " " : "s", Double(letters) / elapsed, letters, elapsed))
        }
    }
    for workers in [1, 2, 4] {
        if let sqlite = rates["sqlite"]?[workers], let postgres = rates["postgres"]?[workers] {
            print(String(format: "postgres/sqlite, %d worker%@: %.2f", workers, workers == 1 ? " " : "s", postgres / sqlite))
        }
    }
    for backend in ["sqlite", "postgres"] {
        let trial = try Trial(backend: backend, postgres: postgres)
        defer { trial.remove() }
        let store = try StoreLocation.open(trial.database)
        defer { store.close() }
        _ = try store.credit(account: "acme", cents: 10_000, reference: "bench", at: Date())
        let worker = try ChildProgram(courrier, ["worker", "--log-level", "error"], environment: [
            "COURRIER_DATABASE": trial.database, "COURRIER_POLL": "60s", "COURRIER_CUT_AT": "03:00",
            "COURRIER_CUT_DAYS": "sun", "COURRIER_OUTBOX": trial.folder.appendingPathComponent("outbox").path])
        defer { worker.stop() }
        usleep(1_500_000)
        var noticed: [Double] = []
        for index in 0..<7 {
            var json = try JSONSerialization.jsonObject(with: invoice) as? [String: Any] ?? [:]
            json["id"] = "WAKE-\(index)"
            let queued = Date()
            let job = try store.enqueue(try checkedSubmission(json), at: Date()).job.id
            while try store.job(job)?.state == .queued, Date().timeIntervalSince(queued) < 10 { usleep(1_000) }
            noticed.append(Date().timeIntervalSince(queued))
            usleep(300_000)
        }
        let sorted = noticed.sorted()
        print(String(format: "%-8@ idle worker (60 s poll) prepared a new letter after %.0f ms (median of 7; %.0f to %.0f ms)",
                     backend, sorted[3] * 1000, sorted[0] * 1000, sorted[6] * 1000))
    }
}

/// A fresh store for one trial: an SQLite file, or a new database on the server.
private struct Trial {
    let folder: URL
    let database: String
    private let dropDatabase: (() -> Void)?

    init(backend: String, postgres: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("courrier-workers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard backend == "postgres" else {
            database = folder.appendingPathComponent("store.sqlite").path
            dropDatabase = nil
            return
        }
        let name = "courrier_bench_\(getpid())_\(Int.random(in: 0..<1_000_000))"
        guard try ChildProgram("/usr/bin/psql", ["-X", "-q", "-d", postgres, "-c", "CREATE DATABASE \(name)"],
                               environment: [:]).wait() == 0 else {
            throw BenchmarkFailure("cannot create a database on \(postgres) (deploy/postgres start prints the URL and PGPASSFILE)")
        }
        var components = URLComponents(string: postgres)
        components?.path = "/\(name)"
        database = components?.string ?? postgres
        dropDatabase = { _ = try? ChildProgram("/usr/bin/psql", ["-X", "-q", "-d", postgres, "-c", "DROP DATABASE \(name)"],
                                               environment: [:]).wait() }
    }

    func remove() {
        dropDatabase?()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// A program started with its output thrown away.
private final class ChildProgram {
    let pid: pid_t

    init(_ path: String, _ arguments: [String], environment: [String: String]) throws {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let environ = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; environ.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { throw BenchmarkFailure("cannot start \(path)") }
        self.pid = pid
    }

    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xff
    }

    func stop() {
        kill(pid, SIGTERM)
        _ = wait()
    }
}
