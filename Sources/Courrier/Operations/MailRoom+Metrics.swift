import Foundation
import Letters
import Storage

extension MailRoom {
    /// Writes the metrics file when one is configured: written aside and
    /// renamed, so that node_exporter never reads half a file.
    public func writeMetrics() throws {
        guard let path = configuration.metricsPath else { return }
        let text = MetricsText.render(try store.metrics(), worker: configuration.workerID, now: clock())
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            // Counts and times only, no personal data: node_exporter, another user, reads it.
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: temporary.path)
            guard rename(temporary.path, target.path) == 0 else {
                throw MailRoomError(String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw MailRoomError("cannot write the metrics file \(path): \(error)")
        }
    }
}
