import Foundation

/// Reads customers' files several at once, one thread per core, sharing the
/// readers' time fairly between accounts: the next read is always for the
/// account that has had the least reading time so far (its reads under way
/// counted as they go). However many slow files one account sends, a letter
/// of another account waits for at most the reads already under way.
///
/// The slow half of intake runs on the pool; what each read gives is handed
/// back on the calling thread (which owns the store connection) as soon as
/// it is ready, except that of two items with the same key (a document sent
/// twice) the first given is handed back first, so that it still wins.
enum FairReading {
    struct Key: Hashable, Sendable {
        var account: String
        var document: String
    }

    /// Runs `read` on each item on up to `threads` threads and calls
    /// `deliver` with each item's index and what it read. When `deliver`
    /// throws, the reads under way finish, no new one starts, and the error
    /// is thrown.
    static func run<Item: Sendable, Output: Sendable>(
        _ items: [Item], key: (Item) -> Key, threads: Int,
        read: @escaping @Sendable (Item) -> Output, deliver: (Int, Output) throws -> Void
    ) throws {
        guard !items.isEmpty else { return }
        let keys = items.map(key)
        let board = Board<Output>(accounts: keys.map(\.account))
        let workers = (0..<max(1, min(threads, items.count))).map { _ in
            Thread {
                while let index = board.take() {
                    board.finish(index, read(items[index]))
                }
            }
        }
        workers.forEach { $0.stackSize = 8 << 20; $0.start() }
        defer { board.stop(waitingFor: workers.count) }

        // The items of each key not yet handed back, in the order given.
        var pending = Dictionary(grouping: keys.indices) { keys[$0] }
        var held: [Int: Output] = [:]
        var delivered = 0
        while delivered < items.count {
            let (index, output) = board.next()
            held[index] = output
            // Hand back what is read and first of its key.
            while let ready = held.keys.first(where: { pending[keys[$0]]?.first == $0 }) {
                let output = held.removeValue(forKey: ready)!
                pending[keys[ready]]?.removeFirst()
                delivered += 1
                do {
                    try deliver(ready, output)
                } catch {
                    board.cancel()
                    throw error
                }
            }
        }
    }

    /// What the threads share: each account's items not yet taken and the
    /// reading time it has had, the reads under way, those read and not yet
    /// handed back, and whether to stop.
    private final class Board<Output: Sendable>: @unchecked Sendable {
        // @unchecked Sendable: every field is read and written under `condition`.
        private let condition = NSCondition()
        /// Accounts in the order they first appear, each with its items.
        private var accounts: [String] = []
        private var waiting: [String: ArraySlice<Int>] = [:]
        private var used: [String: TimeInterval] = [:]
        private var running: [Int: (account: String, since: Date)] = [:]
        private var done: [(Int, Output)] = []
        private var stopped = false
        private var finishedWorkers = 0

        init(accounts itemAccounts: [String]) {
            var byAccount: [String: [Int]] = [:]
            for (index, account) in itemAccounts.enumerated() {
                if byAccount[account] == nil { accounts.append(account) }
                byAccount[account, default: []].append(index)
            }
            waiting = byAccount.mapValues { $0[...] }
        }

        /// The next item to read, for the account with the least reading time
        /// (then the fewest reads under way); nil when none is left or the run is over.
        func take() -> Int? {
            condition.lock()
            defer { condition.unlock() }
            let now = Date()
            func cost(_ account: String) -> (TimeInterval, Int) {
                let under = running.values.filter { $0.account == account }
                return (used[account, default: 0] + under.reduce(0) { $0 + now.timeIntervalSince($1.since) }, under.count)
            }
            let candidates = accounts.filter { !(waiting[$0]?.isEmpty ?? true) }
            guard !stopped, let account = candidates.min(by: { cost($0) < cost($1) }),
                  let index = waiting[account]?.popFirst() else {
                finishedWorkers += 1
                condition.broadcast()
                return nil
            }
            running[index] = (account, now)
            return index
        }

        func finish(_ index: Int, _ output: Output) {
            condition.lock()
            if let read = running.removeValue(forKey: index) {
                used[read.account, default: 0] += Date().timeIntervalSince(read.since)
            }
            done.append((index, output))
            condition.broadcast()
            condition.unlock()
        }

        /// Waits for an item read.
        func next() -> (Int, Output) {
            condition.lock()
            defer { condition.unlock() }
            while done.isEmpty { condition.wait() }
            return done.removeFirst()
        }

        func cancel() {
            condition.lock()
            stopped = true
            condition.unlock()
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
