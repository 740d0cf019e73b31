import Foundation

/// A child process run to its end or to a deadline, whichever comes first.
///
/// posix_spawn and waitpid rather than Foundation's `Process`: the parent must
/// be able to kill the child at its deadline and reap it at once, from the
/// thread that waits, whatever else the process is doing.
enum ChildProcess {
    enum Termination: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        /// Killed at its deadline.
        case timedOut

        var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signalled(let signal): "signal \(signal)\(Self.signalNames[signal].map { ", \($0)" } ?? "")"
            case .timedOut: "killed at its deadline"
            }
        }

        private static let signalNames: [Int32: String] = [
            SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        ]
    }

    struct SpawnError: Error, CustomStringConvertible {
        var code: Int32
        var executable: String
        var description: String { "cannot start \(executable): \(String(cString: strerror(code)))" }
    }

    /// Where a child's standard streams go.
    enum Stream {
        /// /dev/null.
        case null
        /// A file created (or emptied) for this user only.
        case file(String)
        /// An open descriptor of the parent's, shared from its current offset.
        case descriptor(Int32)
    }

    /// Runs `arguments` (the executable first) with standard input and output
    /// on /dev/null and standard error into the file `standardError`; kills it
    /// with SIGKILL when it is still running after `timeout` seconds.
    static func run(_ arguments: [String], standardError: String, timeout: TimeInterval,
                    environment overrides: [String: String] = [:]) throws(SpawnError) -> Termination {
        try run(arguments, input: .null, output: .null, error: .file(standardError), timeout: timeout, environment: overrides)
    }

    /// Runs `arguments` with its standard streams on `input`, `output` and
    /// `error`; kills it with SIGKILL when it is still running after `timeout` seconds.
    static func run(_ arguments: [String], input: Stream, output: Stream, error: Stream, timeout: TimeInterval,
                    environment overrides: [String: String] = [:]) throws(SpawnError) -> Termination {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (number, stream) in [(Int32(0), input), (1, output), (2, error)] {
            switch stream {
            case .null: posix_spawn_file_actions_addopen(&actions, number, "/dev/null", number == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let path): posix_spawn_file_actions_addopen(&actions, number, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, number)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Signals the parent ignores or blocks (a worker blocks SIGTERM to
        // handle it itself) are reset, so that the child can be stopped.
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var pid: pid_t = 0
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        // The parent's environment (fonts, locale), without Swift's crash
        // backtracer: a child that crashes should end at once, not spend a
        // second symbolicating.
        var environment = ProcessInfo.processInfo.environment.merging(overrides) { $1 }
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, cArguments, cEnvironment)
        guard status == 0 else { throw SpawnError(code: status, executable: arguments[0]) }

        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 1_000
        while true {
            var waitStatus: Int32 = 0
            let reaped = waitpid(pid, &waitStatus, WNOHANG)
            if reaped == pid { return Self.termination(waitStatus) }
            if reaped < 0 && errno != EINTR { return .exited(-1) }
            if Date() >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
                return .timedOut
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    private static func termination(_ status: Int32) -> Termination {
        // WIFEXITED and friends are macros that Swift does not import.
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }
}
