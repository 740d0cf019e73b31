import Foundation

/// Tells a progress line of letters done from several threads at once.
final class SharedProgress: @unchecked Sendable {
    // @unchecked Sendable: `progress` is only called under `lock`.
    private let progress: ProgressReporting
    private let lock = NSLock()

    init(_ progress: ProgressReporting) {
        self.progress = progress
    }

    func advance() {
        lock.lock(); defer { lock.unlock() }
        progress.advance()
    }
}
