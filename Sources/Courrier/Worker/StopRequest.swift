import Dispatch
import Foundation
import Storage

/// A stop asked for by a signal: noted once, and waited on between rounds.
final class StopRequest: @unchecked Sendable {
    // @unchecked Sendable: `requestedAt` is read and written under `lock`.
    private let lock = NSLock()
    private var requestedAt: Date?
    private let wakeUp = DispatchSemaphore(value: 0)
    private let grace: TimeInterval
    private let clock: () -> Date

    init(grace: TimeInterval, clock: @escaping () -> Date) {
        self.grace = grace
        self.clock = clock
    }

    func request() {
        lock.lock()
        let first = requestedAt == nil
        if first { requestedAt = clock() }
        lock.unlock()
        if first { wakeUp.signal() }
    }

    var isRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return requestedAt != nil
    }

    /// True once the grace period after the request is over: a cut in
    /// progress stops then, and is finished by the next start.
    var isPastGrace: Bool {
        lock.lock(); defer { lock.unlock() }
        guard let requestedAt else { return false }
        return clock().timeIntervalSince(requestedAt) > grace
    }

    /// Sleeps `seconds`, or less if a stop is requested meanwhile.
    func wait(_ seconds: TimeInterval) {
        guard !isRequested else { return }
        _ = wakeUp.wait(timeout: .now() + seconds)
    }
}

extension StopRequest {
    /// Requests the stop on SIGTERM or SIGINT (which no longer end the
    /// process at once), and stops a store that waits for its database.
    /// `announce` hears the first signal's name. Cancel what it returns when done.
    func watchSignals(_ announce: @escaping @Sendable (String) -> Void) -> [DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                if !isRequested { announce(number == SIGTERM ? "SIGTERM" : "SIGINT") }
                request()
                // A store waiting for its database stops waiting.
                StoreHealth.shared.stop()
            }
            source.resume()
            return source
        }
    }
}
