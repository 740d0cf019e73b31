import Foundation
import Testing

/// A real PostgreSQL server on 127.0.0.1 for the tests: `initdb` into a
/// temporary folder and `pg_ctl` on a free port, as an unprivileged user
/// (nobody, when the tests run as root), never the system's service. One
/// server for the test process, started at first use and stopped at exit;
/// each test has a database of its own.
final class PostgresServer: Sendable {
    let port: Int
    let folder: String
    let binaries: String
    /// The role the tests connect as: the cluster's superuser.
    let user = "courrier"

    /// The server, started once.
    static let shared: Result<PostgresServer, TestFailure> = {
        do {
            let server = try PostgresServer()
            atexit { if case .success(let server) = PostgresServer.shared { server.stop() } }
            return .success(server)
        } catch let failure as TestFailure {
            return .failure(failure)
        } catch {
            return .failure(TestFailure("PostgreSQL did not start: \(error)"))
        }
    }()

    /// A server of its own, for a test that stops or restarts it: the shared
    /// one serves every other test meanwhile. `stop()` it when done.
    static func dedicated() throws -> PostgresServer {
        try PostgresServer()
    }

    private static let runsAsNobody = geteuid() == 0
    private static let counter = Counter()

    private init() throws {
        guard let binaries = Self.findBinaries() else {
            throw TestFailure("PostgreSQL's initdb and pg_ctl are not installed: run deploy/setup debug sshd postgres (apt-get install postgresql)")
        }
        self.binaries = binaries
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("courrier-postgres-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let data = folder + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        if Self.runsAsNobody { chown(data, 65534, 65534); chown(folder, 65534, 65534) }
        port = try SSHServer.freePort()
        let output = folder + "/programs.log"
        guard try Self.run(binaries + "/initdb", ["-D", data, "-U", user, "--auth=trust", "-E", "UTF8",
                                                  "--locale=C.UTF-8", "--no-sync"], output: output) == 0 else {
            throw TestFailure("initdb failed: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        }
        // fsync off: a throwaway server whose data need not survive a power cut.
        try start()
    }

    /// The URL of the maintenance database, for creating others.
    var adminURL: String { url(database: "postgres") }

    func url(database: String) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)"
    }

    /// A new, empty database for one test; its URL.
    func makeDatabase() throws -> String {
        let name = "courrier_test_\(getpid())_\(Self.counter.next())"
        try psql(database: "postgres", "CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// Runs SQL with psql; what it printed, values separated by `|`.
    @discardableResult
    func psql(database: String, _ sql: String) throws -> String {
        let result = try runTool(binaries + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                                      "-d", url(database: database), "-c", sql])
        guard result.status == 0 else { throw PSQLFailure(message: result.error) }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs SQL against the database of `url`.
    @discardableResult
    func psql(url: String, _ sql: String) throws -> String {
        try psql(database: String(url.split(separator: "/").last ?? ""), sql)
    }

    /// Stops the server at once, as a crash or `pg_ctl stop -m immediate` would.
    func kill() throws {
        guard try Self.run(binaries + "/pg_ctl", ["stop", "-D", folder + "/data", "-m", "immediate", "-w"],
                           output: folder + "/programs.log") == 0 else { throw TestFailure("pg_ctl stop failed") }
    }

    /// Starts the server again after `kill()`, on the same port.
    func start() throws {
        try pgCtl("start")
    }

    /// `pg_ctl restart -m immediate`: the server stops at once, as it does
    /// when it crashes, and comes back on the same port with crash recovery.
    func restart() throws {
        try pgCtl("restart", ["-m", "immediate"])
    }

    private func pgCtl(_ action: String, _ extra: [String] = []) throws {
        let options = "-c listen_addresses=127.0.0.1 -c port=\(port) -c unix_socket_directories='' "
            + "-c fsync=off -c max_connections=200"
        guard try Self.run(binaries + "/pg_ctl", [action, "-D", folder + "/data", "-w", "-t", "60", "-l", folder + "/server.log",
                                                  "-o", options] + extra, output: folder + "/programs.log") == 0 else {
            throw TestFailure("pg_ctl \(action) failed: \((try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? "")")
        }
    }

    func stop() {
        _ = try? Self.run(binaries + "/pg_ctl", ["stop", "-D", folder + "/data", "-m", "immediate", "-w"],
                          output: "/dev/null")
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs a PostgreSQL program as the server's user, its output to a file.
    ///
    /// Spawned directly rather than with Foundation's Process: pg_ctl leaves the
    /// server running with the descriptors it inherited, and Process would wait
    /// for the server's end to read its output to the end.
    private static func run(_ program: String, _ arguments: [String], output: String) throws -> Int32 {
        var command = [program] + arguments
        if runsAsNobody {
            command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o666)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, command[0], &actions, nil, argv, environ)
        guard status == 0 else { throw TestFailure("cannot start \(program): \(String(cString: strerror(status)))") }
        var exit: Int32 = 0
        while waitpid(child, &exit, 0) < 0 && errno == EINTR {}
        return (exit >> 8) & 0xff
    }

    /// Debian keeps the server's programs under /usr/lib/postgresql/VERSION/bin.
    private static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    private final class Counter: @unchecked Sendable {
        // @unchecked Sendable: `value` is changed under `lock` only.
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock(); defer { lock.unlock() }
            value += 1
            return value
        }
    }
}

/// What psql said when a statement failed.
struct PSQLFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The backends every store test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A new, empty store location: a file in `folder`, or a database of its own.
    func makeLocation(in folder: TemporaryFolder) throws -> String {
        switch self {
        case .sqlite: return folder.path("courrier.sqlite")
        case .postgres: return try PostgresServer.shared.get().makeDatabase()
        }
    }
}
