import Foundation
import Storage

/// The worker's sender of events to the product's webhook: a thread of its
/// own with a store connection of its own, so that a receiver that is slow
/// or away never holds up preparing, cutting or handing over.
final class NotifyingThread: @unchecked Sendable {
    // @unchecked Sendable: `open` is called, and the store and sender it
    // makes are used, only on the thread after `start()`; `join()` waits
    // for that thread to end.
    private let open: () throws -> (Notifying, LetterStore)?
    private let stop: StopRequest
    private let log: EventLog
    private let finished = DispatchSemaphore(value: 0)

    /// How often the thread looks for new events when it has sent all it had.
    static let look: TimeInterval = 1
    /// How long it waits after an error that is not the receiver's (the store, the secret file).
    static let afterError: TimeInterval = 30

    /// `open` opens a connection and builds the sender on it; nil when there is no webhook.
    init(stop: StopRequest, log: EventLog, open: @escaping () throws -> (Notifying, LetterStore)?) {
        self.open = open
        self.stop = stop
        self.log = log
    }

    func start() {
        let thread = Thread { [self] in
            var opened: (sender: Notifying, store: LetterStore)?
            while !stop.isRequested {
                var wait = Self.look
                do {
                    if opened == nil {
                        guard let made = try open() else { break }
                        opened = made
                    }
                    _ = try opened?.sender.sendPending(shouldStop: { [stop] in stop.isRequested })
                } catch {
                    // The store away, a secret file gone: logged, and tried again, not every second.
                    log.error("webhook.error", ["reason": .string(String(describing: error))])
                    wait = Self.afterError
                }
                stop.wait(wait)
            }
            opened?.store.close()
            finished.signal()
        }
        thread.name = "courrier-webhook"
        thread.start()
    }

    /// Waits for the thread to end after the stop: the post in hand finishes or times out.
    func join() {
        finished.wait()
    }
}
