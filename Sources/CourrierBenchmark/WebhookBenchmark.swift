import Courrier
import Foundation
import Letters
import Storage

/// `events` letters queued in a fresh store (an event each), then posted to
/// the webhook receiver at `url` as `courrier worker` posts them: one event a
/// request, signed, over one connection kept alive.
func benchmarkWebhook(fixtures: URL, events: Int, url: String, secretFile: String?) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("courrier-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let database = folder.appendingPathComponent("store.sqlite").path
    let store = try SQLiteStore(path: database)
    let invoice = try Data(contentsOf: fixtures.appendingPathComponent("acme-invoice-fr.json"))
    var json = try JSONSerialization.jsonObject(with: invoice) as? [String: Any] ?? [:]
    for index in 0..<events {
        json["id"] = "HOOK-\(index)"
        _ = try store.enqueue(try checkedSubmission(json), at: Date())
    }
    store.close()
    var configuration = Configuration(database: database, outbox: folder.appendingPathComponent("outbox").path)
    configuration.webhookURL = url
    configuration.webhookSecretFile = secretFile
    let room = try MailRoom.open(configuration, log: EventLog(minimumLevel: .error) { FileHandle.standardError.write(Data($0.utf8)) })
    defer { room.close() }
    let start = DispatchTime.now().uptimeNanoseconds
    let report = room.notifyProduct()
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    guard let report, report.sent == events else {
        throw BenchmarkFailure("the receiver took \(report?.sent ?? 0) of \(events) events: \(report?.failure ?? "no webhook")")
    }
    print(String(format: "webhook  %d events in %.2f s: %.0f events/s, one a request, signed, to %@",
                 events, elapsed, Double(events) / elapsed, url))
}
