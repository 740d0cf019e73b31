import Foundation
import Testing
@testable import Courrier
import Letters
import Storage

/// Runs a verb that goes on, `courrier worker` by default, as a process;
/// what it writes on standard output and its log collected as they come.
final class CourrierProcess: @unchecked Sendable {
    // @unchecked Sendable: `log` and `output` are written by the pipes' handlers under `lock`.
    let process = Process()
    private let lock = NSLock()
    private var log = ""
    private var output = ""

    init(_ arguments: [String] = ["worker"], environment: [String: String], in folder: URL) throws {
        process.executableURL = try Paths.courrierBinary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COURRIER_") }
            .merging(environment) { $1 }
        let errors = Pipe(), answers = Pipe()
        process.standardError = errors
        process.standardOutput = answers
        for (pipe, isLog) in [(errors, true), (answers, false)] {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                self.lock.withLock {
                    if isLog { self.log += String(decoding: data, as: UTF8.self) } else { self.output += String(decoding: data, as: UTF8.self) }
                }
            }
        }
        try process.run()
    }

    /// Everything it wrote on standard error so far.
    var errorText: String {
        lock.lock(); defer { lock.unlock() }
        return log
    }

    /// Everything it wrote on standard output so far.
    var outputText: String {
        lock.lock(); defer { lock.unlock() }
        return output
    }

    var events: [[String: Any]] {
        lock.lock(); defer { lock.unlock() }
        return log.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Waits up to `seconds` for `condition`, looking every 50 ms.
    func waitFor(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    /// SIGTERM, then the exit status, or nil if it did not exit in `seconds`.
    func terminate(within seconds: Double) -> Int32? {
        process.terminate()
        let exited = waitFor(seconds: seconds) { !process.isRunning }
        guard exited else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }
}
