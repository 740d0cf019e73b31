import Foundation
import Testing
@testable import Courrier
import Letters
import Storage

/// The alerting rules in deploy/prometheus, checked by Prometheus's own
/// promtool, on series named as Courrier's metrics file names them.
@Suite struct AlertRuleTests {
    static let folder = Paths.packageRoot.appendingPathComponent("deploy/prometheus")

    @Test func promtoolChecksTheRulesAndTheirTestsPass() throws {
        let check = try runTool("/usr/bin/promtool", ["check", "rules", "courrier-alerts.yml"], in: Self.folder)
        #expect(check.status == 0, "\(check.output)\(check.error)")
        #expect(check.output.contains("SUCCESS: 13 rules found"), "\(check.output)")
        let test = try runTool("/usr/bin/promtool", ["test", "rules", "courrier-alerts.test.yml"], in: Self.folder)
        #expect(test.status == 0, "\(test.output)\(test.error)")
    }

    /// Every series the rules and their tests name is one a worker writes,
    /// with the same labels: a renamed metric would leave an alert that never fires.
    @Test func theRulesNameTheSeriesCourrierWrites() throws {
        let folder = try TemporaryFolder()
        let metricsFile = folder.path("courrier.prom")
        let room = try TestMailRoom(folder: folder) {
            $0.metricsPath = metricsFile
            $0.deliverURL = "file://\(folder.path("no-such-drop"))"
        }
        // A letter cut and failing to reach the drop, and one awaiting funds.
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 145, reference: "top-up")
        _ = try room.enqueue(Paths.document("acme-entretien-fr.json"))
        _ = try room.mailRoom.run()
        _ = try room.enqueue(Paths.document("acme-invoice-fr.json"))
        _ = try room.mailRoom.prepareAll()
        try room.store.recordSlot("2026-12-01T09:00:00Z", worker: "test", at: Date())
        try room.mailRoom.metrics.write(schedule: CutSchedule.standard)
        let written = try String(contentsOfFile: metricsFile, encoding: .utf8)
        let samples = Set(written.split(separator: "\n").filter { !$0.hasPrefix("#") }
            .map { String($0.prefix { $0 != " " }) })
        // And a store the print shop answered for: one letter of a bundle spoiled, one line refused.
        let answered = try TestMailRoom(folder: folder, database: folder.path("answered.sqlite")) {
            $0.metricsPath = folder.path("answered.prom")
            $0.deliverURL = "file://\(folder.url.path)"
        }
        _ = try answered.mailRoom.accounts.credit(account: "acme", cents: 1_000, reference: "top-up")
        _ = try answered.enqueue(Paths.document("acme-invoice-fr.json"))
        let batch = try #require(try answered.mailRoom.run().bundles.first?.batch)
        try FileManager.default.createDirectory(at: folder.url.appendingPathComponent("responses"), withIntermediateDirectories: true)
        try Data("batch,sequence,status,date,reason\n\(batch),1,spoiled,2026-12-08,torn\n\(batch),9,posted,2026-12-08,\n".utf8)
            .write(to: folder.url.appendingPathComponent("responses/day.csv"))
        _ = try answered.mailRoom.takeAnswers()
        try answered.mailRoom.metrics.write()
        let answeredText = try String(contentsOfFile: folder.path("answered.prom"), encoding: .utf8)
        #expect(answeredText.contains("courrier_bundle_spoilage_ratio{batch=\"\(batch)\"} 1.0000"), "\(answeredText)")
        #expect(answeredText.contains("courrier_response_lines_refused_total 1"))
        let names = Set((samples.map { String($0.prefix { $0 != "{" }) })
            + answeredText.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.prefix { $0 != " " && $0 != "{" }) })

        let rules = try String(contentsOf: Self.folder.appendingPathComponent("courrier-alerts.yml"), encoding: .utf8)
        let tests = try String(contentsOf: Self.folder.appendingPathComponent("courrier-alerts.test.yml"), encoding: .utf8)
        let named = try Regex(#"courrier_[a-z_]+"#)
        for match in (rules + tests).matches(of: named) {
            let name = String((rules + tests)[match.range])
            #expect(names.contains(name), "\(name) is not in the metrics file Courrier writes:\n\(written)")
        }
        #expect(samples.contains { $0.hasPrefix("courrier_metrics_timestamp_seconds{worker=") },
                "the staleness alert's worker label")
        #expect(written.contains("courrier_undelivered_bundles 1"))
        #expect(written.contains("courrier_delivery_failures_total 1"))
        // 2026-12-01 09:00 UTC is 10:00 in Brussels; the next slot is 16:00 there.
        #expect(written.contains("courrier_scheduled_cut_timestamp_seconds \(Int(UTCTimestamp.date("2026-12-01T15:00:00Z")!.timeIntervalSince1970))"))
    }
}
