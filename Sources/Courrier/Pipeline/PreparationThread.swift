import Foundation
import Storage

/// A `Preparation` with a store connection of its own, run on a thread of
/// its own: `Preparing` starts one per extra core.
final class PreparationThread: @unchecked Sendable {
    // @unchecked Sendable: `preparation` and `store` are made on the caller's
    // thread, used only by the thread after `start()`, and `result` is read
    // only after `join()` has waited for that thread to finish.
    private let preparation: Preparation
    private let store: LetterStore
    private let shouldStop: @Sendable () -> Bool
    private let advance: @Sendable () -> Void
    private let finished = DispatchSemaphore(value: 0)
    private var result: Result<Preparing.Report, Error> = .success(Preparing.Report())

    init(store: LetterStore, preparation: Preparation, shouldStop: @escaping @Sendable () -> Bool,
         advance: @escaping @Sendable () -> Void) {
        self.store = store
        self.preparation = preparation
        self.shouldStop = shouldStop
        self.advance = advance
    }

    func start() {
        // Rendering and SQLite block: a thread of the worker's own, not the cooperative pool.
        let thread = Thread { [self] in
            result = Result { try preparation.prepareQueued(shouldStop: shouldStop, advance: advance) }
            store.close()
            finished.signal()
        }
        thread.name = "courrier-prepare"
        thread.start()
    }

    /// Waits for the thread to finish and gives what it prepared.
    func join() -> Result<Preparing.Report, Error> {
        finished.wait()
        return result
    }
}
