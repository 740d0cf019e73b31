import Foundation

/// What a store tells whoever watches it: a transaction run again, the
/// database out of reach, and back.
public enum StoreEvent: Sendable {
    /// A transaction failed for a reason that passes and is run again.
    case retrying(attempt: Int, reason: String)
    /// The database cannot be reached; the store keeps trying.
    case unavailable(reason: String)
    /// The database answers again, after `seconds` away.
    case reconnected(seconds: Double)
}

/// The process's policy for its stores and what they have lived through:
/// how long a transaction is tried again, whether to stop trying (SIGTERM),
/// who hears of it, and counts for the metrics. One for the process, as every
/// store it opens (a thread's, a part's) follows the same policy.
public final class StoreHealth: @unchecked Sendable {
    // @unchecked Sendable: every field is read and written under `lock`.
    public static let shared = StoreHealth()

    private let lock = NSLock()
    private var budget: TimeInterval = 60
    private var stopping = false
    private var observer: (@Sendable (StoreEvent) -> Void)?
    private var retryCount = 0
    private var unavailableSince: Date?

    /// The longest a transaction is tried again before its error is the
    /// caller's: `COURRIER_STORE_RETRY`.
    public var retryBudget: TimeInterval {
        get { lock.withLock { budget } }
        set { lock.withLock { budget = newValue } }
    }

    /// Who hears of retries and of the database going and coming back.
    public func observe(_ observer: @escaping @Sendable (StoreEvent) -> Void) {
        lock.withLock { self.observer = observer }
    }

    /// No more waiting: a stop was asked for, and what is being retried
    /// fails at once with its error.
    public func stop() { lock.withLock { stopping = true } }

    var isStopping: Bool { lock.withLock { stopping } }

    /// Transactions run again since the process started.
    public var retries: Int { lock.withLock { retryCount } }

    /// Since when the database has been out of reach, if it is.
    public var unreachableSince: Date? { lock.withLock { unavailableSince } }

    func retrying(attempt: Int, reason: String) {
        let observer = lock.withLock { retryCount += 1; return self.observer }
        observer?(.retrying(attempt: attempt, reason: reason))
    }

    func unavailable(reason: String) {
        let observer: (@Sendable (StoreEvent) -> Void)? = lock.withLock {
            guard unavailableSince == nil else { return nil }
            unavailableSince = Date()
            return self.observer
        }
        observer?(.unavailable(reason: reason))
    }

    func reachable() {
        let (observer, since): ((@Sendable (StoreEvent) -> Void)?, Date?) = lock.withLock {
            guard let since = unavailableSince else { return (nil, nil) }
            unavailableSince = nil
            return (self.observer, since)
        }
        if let since { observer?(.reconnected(seconds: Date().timeIntervalSince(since))) }
    }
}

/// What a backend says of one of its errors: whether running the
/// transaction again may succeed, and whether the connection is gone.
enum Transience {
    /// The error stands: it is the caller's.
    case permanent
    /// A race lost (busy, locked, a deadlock, a serialization failure): run again.
    case race
    /// The connection is gone or the server is going away: open it again, then run again.
    case connection
}

/// Runs a transaction, and runs it again whole when it fails for a reason
/// that passes, with jittered backoff, until `StoreHealth.retryBudget` is
/// spent or a stop is asked for. The one place where a store waits for its
/// database: both backends run every transaction through it.
enum TransactionRunner {
    static func run<T>(classify: (Error) -> Transience, reconnect: () throws -> Void,
                       _ body: () throws -> T) throws -> T {
        let health = StoreHealth.shared
        let deadline = Date().addingTimeInterval(health.retryBudget)
        var attempt = 0
        var lostConnection = false
        while true {
            do {
                if lostConnection {
                    try reconnect()
                    lostConnection = false
                }
                let result = try body()
                health.reachable()
                return result
            } catch {
                let kind = classify(error)
                guard kind != .permanent, Date() < deadline, !health.isStopping else { throw error }
                attempt += 1
                if kind == .connection {
                    lostConnection = true
                    health.unavailable(reason: String(describing: error))
                } else {
                    health.retrying(attempt: attempt, reason: String(describing: error))
                }
                pause(attempt)
            }
        }
    }

    /// One attempt: `begin`, then `body`, then COMMIT; ROLLBACK when either
    /// throws, and the error is the attempt's.
    static func attempt<T>(begin: String, execute: (String) throws -> Void, _ body: () throws -> T) throws -> T {
        try execute(begin)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// 50 ms doubled each attempt up to 2 s, each drawn between half and the
    /// whole of it, so that processes that collided do not collide again.
    private static func pause(_ attempt: Int) {
        let ceiling = min(2.0, 0.05 * pow(2, Double(min(attempt - 1, 8))))
        usleep(useconds_t(Double.random(in: ceiling / 2...ceiling) * 1_000_000))
    }
}
