import Foundation
import Testing

/// A real OpenSSH sshd on 127.0.0.1 for one test: a throwaway host key,
/// client keys, an authorized_keys file and a drop folder, all in a temporary
/// folder. Stopped (the server and every session it forked) when released.
///
/// Run by root, the server runs as `nobody`, so that a folder without write
/// permission means what it says: root would write anywhere.
final class SSHServer {
    let folder: TemporaryFolder
    let port: Int
    /// The user the client logs in as: the one sshd runs as.
    let user: String
    /// A folder the client may write to.
    let drop: URL
    /// known_hosts holding this server's host key.
    let knownHosts: String
    /// An ed25519 client key without a passphrase, mode 600.
    let ed25519Key: String
    /// An RSA client key without a passphrase.
    let rsaKey: String
    /// An ed25519 client key encrypted with `passphrase`.
    let encryptedKey: String
    let passphrase = "correct horse battery staple"
    let log: URL
    private var pid: pid_t?

    private static let runsAsNobody = geteuid() == 0

    init() throws {
        folder = try TemporaryFolder()
        let keys = folder.url.appendingPathComponent("keys")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        let hostKey = keys.appendingPathComponent("ssh_host_ed25519_key").path
        ed25519Key = keys.appendingPathComponent("id_ed25519").path
        rsaKey = keys.appendingPathComponent("id_rsa").path
        encryptedKey = keys.appendingPathComponent("id_ed25519_encrypted").path
        try Self.keygen(["-t", "ed25519", "-N", "", "-f", hostKey])
        try Self.keygen(["-t", "ed25519", "-N", "", "-f", ed25519Key])
        try Self.keygen(["-t", "rsa", "-b", "3072", "-N", "", "-f", rsaKey])
        try Self.keygen(["-t", "ed25519", "-N", passphrase, "-f", encryptedKey])
        let authorized = try [ed25519Key, rsaKey, encryptedKey].map { try String(contentsOfFile: $0 + ".pub") }.joined()
        let authorizedKeys = folder.url.appendingPathComponent("authorized_keys")
        try authorized.write(to: authorizedKeys, atomically: true, encoding: .utf8)

        drop = folder.url.appendingPathComponent("drop", isDirectory: true)
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        user = Self.runsAsNobody ? "nobody" : ProcessInfo.processInfo.userName
        if Self.runsAsNobody {
            // sshd running as nobody reads its host key and writes the drop; a
            // host key owned by another user may be readable by others.
            chmod(hostKey, 0o644)
            chmod(authorizedKeys.path, 0o644)
            try Self.giveToServer(drop.path)
        }

        port = try Self.freePort()
        knownHosts = folder.path("known_hosts")
        try "[127.0.0.1]:\(port) \(try String(contentsOfFile: hostKey + ".pub"))"
            .write(toFile: knownHosts, atomically: true, encoding: .utf8)
        log = folder.url.appendingPathComponent("sshd.log")
        // PAM lets sshd accept a user whose password is locked ("*"), such as
        // nobody or a CI user; nothing here uses passwords.
        let configuration = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            PidFile none
            AuthorizedKeysFile \(authorizedKeys.path)
            StrictModes no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM yes
            PrintMotd no
            Subsystem sftp internal-sftp
            LogLevel ERROR

            """
        try configuration.write(toFile: folder.path("sshd_config"), atomically: true, encoding: .utf8)
        try start()
    }

    deinit {
        stop()
    }

    /// The destination URL of a folder on this server.
    func destination(_ path: String? = nil) -> String {
        "sftp://\(user)@127.0.0.1:\(port)\(path ?? drop.path)"
    }

    /// Makes a folder the server's user owns, with `mode`.
    func makeFolder(_ name: String, mode: mode_t = 0o755) throws -> URL {
        let url = folder.url.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if Self.runsAsNobody { try Self.giveToServer(url.path) }
        chmod(url.path, mode)
        return url
    }

    /// Starts sshd and waits until it accepts connections.
    ///
    /// Spawned directly rather than with Foundation's Process: sshd closes the
    /// descriptors it inherits, and Process takes that for the child's exit
    /// and blocks its monitor thread in waitpid, so that no other Process
    /// in the test could finish.
    func start() throws {
        precondition(pid == nil, "sshd is already running")
        var arguments = ["/usr/sbin/sshd", "-D", "-e", "-f", folder.path("sshd_config")]
        if Self.runsAsNobody {
            arguments = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + arguments
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, arguments[0], &actions, nil, argv, environ)
        guard status == 0 else { throw TestFailure("cannot start sshd: \(String(cString: strerror(status)))") }
        pid = child
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(port: port) {
            guard waitpid(child, nil, WNOHANG) == 0, Date() < deadline else {
                pid = nil
                kill(child, SIGKILL)
                throw TestFailure("sshd did not start on port \(port): \(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self))")
            }
            usleep(10_000)
        }
    }

    /// Kills sshd and every session it forked, as a crash or a reboot would.
    func stop() {
        guard let pid else { return }
        self.pid = nil
        let tree = Self.descendants(of: pid) + [pid]
        for process in tree { kill(process, SIGKILL) }
        waitpid(pid, nil, 0)
        // Sessions are sshd's children, not this process's: wait until they are gone.
        let deadline = Date().addingTimeInterval(5)
        while tree.dropLast().contains(where: { kill($0, 0) == 0 }) && Date() < deadline { usleep(10_000) }
    }

    /// Writes a known_hosts file that holds another key for this server.
    func knownHostsWithAnotherKey() throws -> String {
        try knownHosts(named: "known_hosts_changed", host: "[127.0.0.1]:\(port)")
    }

    /// Writes a known_hosts file that holds some other server only.
    func knownHostsWithoutThisServer() throws -> String {
        try knownHosts(named: "known_hosts_unknown", host: "print.example.net")
    }

    /// A known_hosts file giving `host` a fresh key that this server does not have.
    private func knownHosts(named name: String, host: String) throws -> String {
        let key = folder.path("\(name)_key")
        try Self.keygen(["-t", "ed25519", "-N", "", "-f", key])
        let path = folder.path(name)
        try "\(host) \(try String(contentsOfFile: key + ".pub"))".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Helpers

    static func keygen(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
        process.arguments = ["-q", "-C", "courrier-test"] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("ssh-keygen \(arguments) failed") }
    }

    private static func giveToServer(_ path: String) throws {
        guard chown(path, 65534, 65534) == 0 else { throw TestFailure("chown \(path): \(String(cString: strerror(errno)))") }
    }

    /// A port nothing listens on now.
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw TestFailure("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Every process below `root`, read from /proc.
    private static func descendants(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (name) state ppid": the name may hold spaces, so read after its ")".
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = pid_t(fields[1]) else { continue }
            children[parent, default: []].append(pid)
        }
        var found: [pid_t] = []
        var queue = [root]
        while let next = queue.popLast() {
            for child in children[next] ?? [] {
                found.append(child)
                queue.append(child)
            }
        }
        return found
    }
}
