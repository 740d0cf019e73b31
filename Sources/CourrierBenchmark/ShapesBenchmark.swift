import CCairo
import Foundation
import Storage

/// `courrier-benchmark shapes FIXTURES`: each hostile shape a customer can
/// send, among 50 good letters, through whole `courrier enqueue` and
/// `courrier run` processes: what became of the letters, how long each
/// process took and the peak memory of the run (the cut included).
func benchmarkShapes(fixtures: URL) throws {
    let invoice = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("acme-invoice-fr.json")))
        as! [String: Any]
    let slowPDF = try Data(contentsOf: fixtures.deletingLastPathComponent().appendingPathComponent("hostile/pdfjs/function_based_shading.pdf"))

    /// A document of `account` made from the fixture invoice, changed by `change`.
    func document(_ id: String, account: String = "shapes", _ change: (inout [String: Any]) -> Void = { _ in }) -> [String: Any] {
        var json = invoice
        json["id"] = id
        json["account"] = account
        var sender = json["sender"] as! [String: Any]
        sender["logo"] = nil
        json["sender"] = sender
        change(&json)
        return json
    }
    let shapes: [(name: String, make: (URL) throws -> [[String: Any]])] = [
        ("combining-marks name (Acme + 2,000 U+0301)", { _ in
            [document("MARKS") { var sender = $0["sender"] as! [String: Any]
                sender["name"] = "Acme" + String(repeating: "\u{0301}", count: 2000); $0["sender"] = sender }]
        }),
        ("terms text: 199,000 letters + 7,000,000 marks", { _ in
            [document("FLOOD") { $0["terms"] = ["text": String(repeating: "a", count: 199_000) + String(repeating: "\u{0301}", count: 7_000_000)] }]
        }),
        ("terms text: 200,000 letters, no space (x3)", { _ in
            (0..<3).map { index in document("UNBROKEN-\(index)") { $0["terms"] = ["text": String(repeating: "a", count: 200_000)] } }
        }),
        ("20 distinct 5,000 x 5,000 image terms", { folder in
            // Drawn in a process of its own: 100 MB images would swell this one, whose
            // peak memory the runs it starts inherit.
            _ = try spawn(arguments[0], ["grey-terms", folder.appendingPathComponent("terms").path, "20"], environment: [:])
            return (0..<20).map { index in document("GREY-\(index)") { $0["terms"] = ["pdf": "terms/grey-\(index).pdf"] } }
        }),
        ("20 distinct slow terms PDFs, one account", { folder in
            try (0..<20).map { index in
                try (slowPDF + Data("\n% copy \(index)\n".utf8)).write(to: folder.appendingPathComponent("terms/slow-\(index).pdf"))
                return document("SLOW-\(index)", account: "slow") { $0["terms"] = ["pdf": "terms/slow-\(index).pdf"] }
            }
        }),
        ("300 VAT rates", { _ in
            [document("VAT") {
                $0["lines"] = (1...300).map { ["description": "Line \($0)", "quantity": "1", "unit_price": "1.00", "vat_rate": "\(Double($0) / 10)"] }
                $0["totals"] = nil
            }]
        }),
    ]
    for (name, make) in shapes {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("courrier-shapes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("terms"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("terms/acme-cgv.pdf"),
                                         to: folder.appendingPathComponent("terms/acme-cgv.pdf"))
        let environment = ["COURRIER_DATABASE": folder.appendingPathComponent("store.sqlite").path,
                           "COURRIER_OUTBOX": folder.appendingPathComponent("outbox").path, "COURRIER_LOG_LEVEL": "error"]
        for account in ["shapes", "slow", "good"] {
            _ = try spawn(["wallet", "credit", account, "1000", "--reference", "top-up-\(account)"], environment: environment)
        }
        var files: [String] = []
        // The shape's letters first, the good letters of another account after them.
        let documents = try make(folder) + (0..<50).map { document("GOOD-\($0)", account: "good") }
        for (index, json) in documents.enumerated() {
            let path = folder.appendingPathComponent("letter-\(index).json")
            try JSONSerialization.data(withJSONObject: json).write(to: path)
            files.append(path.path)
        }
        let started = Date()
        let enqueue = try spawn(["enqueue"] + files, environment: environment)
        let run = try spawn(["run"], environment: environment)
        let store = try SQLiteStore(readingPath: environment["COURRIER_DATABASE"] ?? "")
        defer { store.close() }
        let jobs = try store.metrics().jobs
        let bundled = jobs[.bundled, default: 0], failed = jobs[.failed, default: 0]
        let count = jobs.values.reduce(0, +)
        // When the last of the good letters was queued, from the start of the enqueue.
        let formatter = ISO8601DateFormatter()
        let lastGood = try (1...max(1, count)).compactMap { try store.job(Int64($0)) }
            .filter { $0.account == "good" }.compactMap { formatter.date(from: $0.createdAt) }.max()
        let waited = lastGood.map { max(0, $0.timeIntervalSince(started)) } ?? .nan
        print(String(format: "%-46@ bundled %3d failed %3d refused %3d  enqueue %6.2f s (good letters in by %5.1f s)  run %5.2f s  peak %4d MiB",
                     name as NSString, bundled, failed, documents.count - count, enqueue.seconds, waited, run.seconds,
                     run.maxRSSKiB / 1024))
    }
}

/// A one-page PDF holding a grey 5,000 x 5,000 image, a different row in
/// each `variant`: some 30 KB on disk, 100 MB once drawn.
func greyImagePDF(_ url: URL, variant: Int) {
    let image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 5000, 5000)
    let painter = cairo_create(image)
    cairo_set_source_rgb(painter, 0.8, 0.8, 0.8)
    cairo_paint(painter)
    cairo_set_source_rgb(painter, 0.1, 0.1, 0.1)
    cairo_rectangle(painter, 0, Double(variant * 97 % 5000), 5000, 3)
    cairo_fill(painter)
    cairo_destroy(painter)
    let pdf = cairo_pdf_surface_create(url.path, 595, 842)
    let context = cairo_create(pdf)
    cairo_scale(context, 595.0 / 5000, 842.0 / 5000)
    cairo_set_source_surface(context, image, 0, 0)
    cairo_paint(context)
    cairo_destroy(context)
    cairo_surface_finish(pdf)
    cairo_surface_destroy(pdf)
    cairo_surface_destroy(image)
}
