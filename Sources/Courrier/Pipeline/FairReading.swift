import Foundation

/// Reads customers' files several at once, one thread per core, taking the
/// accounts in turn: however many slow files one account sends, a letter of
/// another account waits for at most one read.
///
/// The slow half of intake runs on the pool; what each read gives is handed
/// back on the calling thread (which owns the store connection) in that same
/// fair order, so that the queue's order does not depend on which read ends
/// first, and of a document sent twice the first still wins.
enum FairReading {
    /// The order in which `accounts` (one an item) are read: the first item
    /// of each account, then the second of each, and so on; within an
    /// account, as given.
    static func order(_ accounts: [String]) -> [Int] {
        var seen: [String] = []
        var byAccount: [String: [Int]] = [:]
        for (index, account) in accounts.enumerated() {
            if byAccount[account] == nil { seen.append(account) }
            byAccount[account, default: []].append(index)
        }
        var order: [Int] = []
        order.reserveCapacity(accounts.count)
        var round = 0
        while order.count < accounts.count {
            for account in seen where round < byAccount[account]!.count {
                order.append(byAccount[account]![round])
            }
            round += 1
        }
        return order
    }

    /// Runs `read` on each item on up to `threads` threads, in the fair
    /// order, and calls `deliver` with each item's index and what it read,
    /// in that order. When `deliver` throws, the reads under way finish, no
    /// new one starts, and the error is thrown.
    static func run<Item: Sendable, Output: Sendable>(
        _ items: [Item], account: (Item) -> String, threads: Int,
        read: @escaping @Sendable (Item) -> Output, deliver: (Int, Output) throws -> Void
    ) throws {
        guard !items.isEmpty else { return }
        let order = order(items.map(account))
        let board = Board<Output>(order: order)
        let workers = (0..<max(1, min(threads, items.count))).map { _ in
            Thread {
                while let index = board.take() {
                    board.finish(index, read(items[index]))
                }
            }
        }
        workers.forEach { $0.stackSize = 8 << 20; $0.start() }
        defer { board.stop(waitingFor: workers.count) }
        for index in order {
            let output = board.wait(for: index)
            try deliver(index, output)
        }
    }

    /// What the threads share: the items not yet taken, those read and not
    /// yet handed back, and whether to stop.
    private final class Board<Output: Sendable>: @unchecked Sendable {
        // @unchecked Sendable: every field is read and written under `condition`.
        private let condition = NSCondition()
        private var waiting: ArraySlice<Int>
        private var done: [Int: Output] = [:]
        private var stopped = false
        private var finishedWorkers = 0

        init(order: [Int]) {
            waiting = order[...]
        }

        /// The next item to read, nil when none is left or the run is over.
        func take() -> Int? {
            condition.lock()
            defer { condition.unlock() }
            guard !stopped, let index = waiting.popFirst() else {
                finishedWorkers += 1
                condition.broadcast()
                return nil
            }
            return index
        }

        func finish(_ index: Int, _ output: Output) {
            condition.lock()
            done[index] = output
            condition.broadcast()
            condition.unlock()
        }

        /// Waits until item `index` is read.
        func wait(for index: Int) -> Output {
            condition.lock()
            defer { condition.unlock() }
            while done[index] == nil { condition.wait() }
            return done.removeValue(forKey: index)!
        }

        /// Lets no new read start, and waits for those under way.
        func stop(waitingFor count: Int) {
            condition.lock()
            stopped = true
            while finishedWorkers < count { condition.wait() }
            condition.unlock()
        }
    }
}
