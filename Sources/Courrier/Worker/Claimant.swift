import Foundation

/// Who holds a claim in the store: this process, by its machine, its process
/// id and a token drawn when it started, with the worker id operations gave it.
///
/// The token makes every claim this process's own: two processes started with
/// the same `COURRIER_WORKER_ID` never take each other's letters, cuts or
/// deliveries for their own, and never write into one partial folder. The
/// machine and process id let a process of the same machine tell a crashed
/// holder from a live one.
public struct Claimant: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var pid: Int32
    /// 16 hexadecimal digits, drawn at random once per process.
    public var token: String
    public var worker: String

    /// This process.
    public static func current(worker: String) -> Claimant {
        Claimant(host: ProcessInfo.processInfo.hostName, pid: ProcessInfo.processInfo.processIdentifier,
                 token: String(format: "%016llx", UInt64.random(in: 0...UInt64.max)), worker: worker)
    }

    /// `HOST:PID:TOKEN:WORKER`, as the store keeps it.
    public var stored: String { "\(host):\(pid):\(token):\(worker)" }

    /// Reads a stored claim, or one of the `HOST:PID` form earlier versions wrote.
    public init?(stored: String) {
        let parts = stored.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, let pid = Int32(parts[1]), pid > 0 else { return nil }
        host = parts[0]
        self.pid = pid
        token = parts.count > 2 ? parts[2] : ""
        worker = parts.count > 3 ? parts[3] : stored
    }

    init(host: String, pid: Int32, token: String, worker: String) {
        self.host = host
        self.pid = pid
        self.token = token
        self.worker = worker
    }

    /// True when this names a process of this machine that no longer runs.
    public var isGoneLocalProcess: Bool {
        host == ProcessInfo.processInfo.hostName && kill(pid, 0) != 0 && errno == ESRCH
    }

    public var description: String { "worker \(worker), PID \(pid) on \(host)" }
}
