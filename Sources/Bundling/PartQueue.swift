import Foundation

/// Runs the parts of a bundle on up to `threads` threads of its own, each
/// taking the next part when it is done with one; returns what each wrote,
/// in the parts' order, or the first error. Letters that could not be drawn
/// (`BundleWriter.LettersFailed`) stop nothing: every part is drawn, and
/// the failures of all are thrown together, so that one more drawing
/// without them is enough.
///
/// Threads of the worker's own, not the cooperative pool: drawing blocks.
final class PartQueue: @unchecked Sendable {
    // @unchecked Sendable: `next`, `results`, `failure` and `letterFailures` are read and
    // written under `lock`; `parts` and `threads` never change.
    private let parts: [BundlePart]
    private let threads: Int
    private let lock = NSLock()
    private var next = 0
    private var results: [Int: PartDrawing.Written] = [:]
    private var failure: Error?
    private var letterFailures: [BundleWriter.LetterFailure] = []

    init(parts: [BundlePart], threads: Int) {
        self.parts = parts
        self.threads = max(1, min(threads, parts.count))
    }

    func run(_ draw: @escaping @Sendable (BundlePart) throws -> PartDrawing.Written) throws -> [PartDrawing.Written] {
        if threads == 1 {
            for part in parts {
                do {
                    results[part.index] = try draw(part)
                } catch let failed as BundleWriter.LettersFailed {
                    letterFailures += failed.failures
                }
            }
            return try finished()
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
                    } catch let failed as BundleWriter.LettersFailed {
                        record { $0.letterFailures += failed.failures }
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
        return try finished()
    }

    private func finished() throws -> [PartDrawing.Written] {
        guard letterFailures.isEmpty else {
            throw BundleWriter.LettersFailed(letterFailures.sorted { $0.job < $1.job })
        }
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
