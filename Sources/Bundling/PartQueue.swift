import Foundation

/// Runs the parts of a bundle on up to `threads` threads of its own, each
/// taking the next part when it is done with one; returns what each wrote,
/// in the parts' order, or the first error.
///
/// Threads of the worker's own, not the cooperative pool: drawing blocks.
final class PartQueue: @unchecked Sendable {
    // @unchecked Sendable: `next`, `results` and `failure` are read and
    // written under `lock`; `parts` and `threads` never change.
    private let parts: [BundlePart]
    private let threads: Int
    private let lock = NSLock()
    private var next = 0
    private var results: [Int: PartDrawing.Written] = [:]
    private var failure: Error?

    init(parts: [BundlePart], threads: Int) {
        self.parts = parts
        self.threads = max(1, min(threads, parts.count))
    }

    func run(_ draw: @escaping @Sendable (BundlePart) throws -> PartDrawing.Written) throws -> [PartDrawing.Written] {
        if threads == 1 {
            return try parts.map(draw)
        }
        let done = DispatchGroup()
        for _ in 0..<threads {
            done.enter()
            let thread = Thread { [self] in
                defer { done.leave() }
                while let part = take() {
                    do {
                        let written = try draw(part)
                        record { $0.results[part.index] = written }
                    } catch {
                        record { queue in
                            if queue.failure == nil { queue.failure = error }
                        }
                    }
                }
            }
            thread.name = "courrier-cut"
            thread.start()
        }
        done.wait()
        if let failure { throw failure }
        return parts.compactMap { results[$0.index] }
    }

    /// The next part to draw; none once a part has failed.
    private func take() -> BundlePart? {
        lock.lock(); defer { lock.unlock() }
        guard failure == nil, next < parts.count else { return nil }
        defer { next += 1 }
        return parts[next]
    }

    private func record(_ change: (PartQueue) -> Void) {
        lock.lock(); defer { lock.unlock() }
        change(self)
    }
}
