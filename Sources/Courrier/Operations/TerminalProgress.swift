import Foundation

/// A progress line on a terminal: `cut  1200/5000 letters  84/s  0:45 left`,
/// redrawn in place at most ten times a second. Log lines that come meanwhile
/// are written above it.
///
/// Only for a person at a terminal: the command line uses it when standard
/// error is one, and never for the worker or when output goes to a file.
final class TerminalProgress: ProgressReporting, @unchecked Sendable {
    // @unchecked Sendable: every field is used under `lock`.
    private let write: @Sendable (String) -> Void
    private let clock: () -> Date
    private let lock = NSLock()
    private var phase = ""
    private var total = 0
    private var done = 0
    private var started = Date()
    private var lastDrawn = Date.distantPast
    private var shown = false

    init(write: @escaping @Sendable (String) -> Void, clock: @escaping () -> Date = Date.init) {
        self.write = write
        self.clock = clock
    }

    func start(_ phase: String, total: Int) {
        lock.lock(); defer { lock.unlock() }
        self.phase = phase
        self.total = total
        done = 0
        started = clock()
        lastDrawn = .distantPast
        if total > 0 { draw() }
    }

    func advance() {
        lock.lock(); defer { lock.unlock() }
        done += 1
        if clock().timeIntervalSince(lastDrawn) >= 0.1 || done == total { draw() }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if shown { write("\r\u{1B}[K") }
        shown = false
        total = 0
    }

    /// Writes a log line above the progress line.
    func log(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        write((shown ? "\r\u{1B}[K" : "") + line)
        if shown { draw() }
    }

    /// The line as it stands: phase, letters done of all, rate, time left.
    var line: String {
        let elapsed = clock().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var text = "\(phase)  \(done)/\(total) letters"
        if rate > 0 {
            let left = Int((Double(total - done) / rate).rounded())
            text += String(format: "  %.0f/s  %d:%02d left", rate, left / 60, left % 60)
        }
        return text
    }

    private func draw() {
        lastDrawn = clock()
        shown = true
        write("\r\u{1B}[K" + line)
    }
}
