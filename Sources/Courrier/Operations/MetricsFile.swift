import Foundation
import Letters
import Storage

/// The metrics file node_exporter's textfile collector reads, when one is
/// configured: written aside and renamed, so that it never reads half a file.
struct MetricsFile {
    let store: RecordStore
    /// Nil when no metrics file is configured: writing does nothing.
    let path: String?
    let worker: String
    /// How the print shop's two working days to post a letter are counted.
    let workingDays: WorkingDays
    let clock: () -> Date

    /// `schedule`: the worker's, for the slot due next (`run` on a timer has none).
    func write(schedule: CutSchedule? = nil) throws {
        guard let path else { return }
        // The slot after the last one recorded: any worker of the store tells the same.
        // A store out of reach still gets a file, saying how long it has been away.
        let scheduledCut = try? schedule.flatMap { schedule in
            try store.latestCutSlot().flatMap(UTCTimestamp.date).flatMap { schedule.nextSlot(after: $0) }
        }
        let text = MetricsText.render(try? store.metrics(), worker: worker, now: clock(), scheduledCut: scheduledCut ?? nil,
                                      workingDays: workingDays)
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            // Counts and times only, no personal data: node_exporter, another user, reads it.
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: temporary.path)
            guard rename(temporary.path, target.path) == 0 else {
                throw MailRoomError(.file, subject: path, String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw MailRoomError(.file, subject: path, "cannot write the metrics file \(path): \(error)")
        }
    }
}
