import Checksums
import Delivery
import Foundation
import Letters
import Storage

/// The print shop's answers, taken from the drop: each delivered bundle's
/// acknowledgement, and the response files, each applied once in a
/// transaction of its own and set aside in `responses/done/`. A line that
/// names no letter, does not parse, or would move a letter back is reported
/// with its file and line, and the rest of the file applies.
public final class TakingAnswers {
    private let store: AnswerStore
    /// How often a spoiled letter is printed again: `COURRIER_REPRINTS`.
    private let reprints: Int
    private let log: EventLog
    private let clock: () -> Date

    init(store: AnswerStore, reprints: Int, log: EventLog, clock: @escaping () -> Date) {
        self.store = store
        self.reprints = reprints
        self.log = log
        self.clock = clock
    }

    public struct Report: Sendable {
        /// Bundles whose acknowledgement was seen now.
        public var acknowledged: [String] = []
        /// Response files taken now, and the letters their lines moved.
        public var files: [String] = []
        public var applied = 0
        /// Lines applied before, from this file or another.
        public var repeated = 0
        /// `FILE line N: what is wrong`, for each line refused and each file that could not be read.
        public var problems: [String] = []
    }

    /// Reads the drop at `settings`' destination once.
    public func take(with settings: DeliverySettings) throws -> Report {
        var report = Report()
        let rules = AnswerDrop(root: settings.destination.root)
        let drop = try settings.openDrop()
        defer { drop.close() }
        for batch in try store.unacknowledgedBundles() {
            guard let bytes = try rules.acknowledgement(of: batch, in: drop) else { continue }
            let content = ControlCharacters.escaped(String(decoding: bytes, as: UTF8.self), keeping: ["\n"])
            if try store.recordAcknowledged(batch: batch, content: content, at: clock()) {
                report.acknowledged.append(batch)
                log.info("bundle.acknowledged", ["batch": .string(batch), "acknowledgement": .string(String(content.prefix(200)))])
            }
        }
        for name in try rules.responseFiles(in: drop) {
            do {
                try take(response: name, rules: rules, drop: drop, into: &report)
            } catch {
                // One file that cannot be read (a link, too large) or applied now holds up none of
                // the others; it stays in the folder for the next turn.
                report.problems.append("\(name): \(error)")
                log.error("responses.unreadable", ["file": .string(name), "reason": .string(String(describing: error))])
            }
        }
        return report
    }

    private func take(response name: String, rules: AnswerDrop, drop: DropFolder, into report: inout Report) throws {
        guard let bytes = try rules.read(response: name, in: drop, limit: ResponseFile.maximumBytes) else { return }
        let hash = SHA256.hex(bytes)
        let file = ResponseFile.parse(bytes)
        if let outcome = try store.applyAnswers(file.answers, file: name, sha256: hash, refused: file.problems.count,
                                                 reprints: reprints, at: clock()) {
            report.files.append(name)
            report.applied += outcome.applied
            report.repeated += outcome.repeated
            for problem in (file.problems + outcome.refused).sorted(by: { $0.line < $1.line }) {
                report.problems.append("\(name) \(problem)")
                log.warning("response.refused", ["file": .string(name), "line": .int(problem.line), "reason": .string(problem.message)])
            }
            log.info("responses.taken", ["file": .string(name), "sha256": .string(hash), "applied": .int(outcome.applied),
                                         "repeated": .int(outcome.repeated), "refused": .int(file.problems.count + outcome.refused.count)])
        }
        // Taken now or before: it leaves the folder the print shop writes to.
        try rules.setAside(response: name, sha256: hash, in: drop)
    }
}
