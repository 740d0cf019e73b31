import CCairo
import Foundation
import Testing
@testable import Courrier

/// Terms that are small on disk and large once drawn: a 5,000 x 5,000 image
/// on one page is 100 MB in memory. The cut keeps drawn terms pages within
/// its budget, whatever the letters carry.
@Suite struct CutMemoryTests {
    /// A one-page PDF holding a grey 5,000 x 5,000 image, a different row
    /// in each `variant`: a distinct file of a few dozen kilobytes.
    static func greyImagePDF(_ url: URL, variant: Int) {
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

    @Test func twentyDistinctImageTermsAreCutUnderAMemoryLimit() throws {
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        var files = [documents.appendingPathComponent("acme-invoice-fr.json").path,
                     documents.appendingPathComponent("peeters-factuur-nl.json").path]
        for variant in 0..<20 {
            let terms = documents.appendingPathComponent("terms/grey-\(variant).pdf")
            Self.greyImagePDF(terms, variant: variant)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: terms.path)[.size] as? Int)
            #expect(size < 200_000, "small on disk: \(size) bytes")
            let document = try fixtureDocument("acme-entretien-fr.json") {
                $0["id"] = "GREY-\(variant)"
                $0["terms"] = ["pdf": "terms/grey-\(variant).pdf"]
            }
            files.append(try folder.write("documents/grey-\(variant).json", document).path)
        }
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox")]
        try runCourrier(["wallet", "credit", "acme", "100", "--reference", "t1"], environment: environment, in: folder.url)
        try runCourrier(["wallet", "credit", "bakkerij-peeters", "10", "--reference", "t2"], environment: environment, in: folder.url)
        let queued = try runCourrier(["enqueue"] + files, environment: environment, in: folder.url)
        #expect(queued.status == 0, "\(queued.error)")

        // 1.5 GiB of address space: the twenty drawn at once would need 2 GiB.
        let run = try runTool("/bin/sh", ["-c", "ulimit -v 1572864 && exec \"$0\" run --terms-memory 256M",
                                          try Paths.courrierBinary.path],
                              in: folder.url, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        #expect(run.status == 0, "\(run.error.suffix(600))")
        #expect(run.output.contains("22 letters"), "\(run.output)")
        let bundle = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path("outbox")).first)
        #expect(try sha256sumCheck(folder.url.appendingPathComponent("outbox/\(bundle)")))
    }

    @Test func aTermsMemoryBelowWhatAPageNeedsIsRefusedNamingTheSetting() throws {
        let error = #expect(throws: MailRoomError.self) {
            _ = try Configuration.fromEnvironment(["COURRIER_TERMS_MEMORY": "8M"])
        }
        #expect(error?.message == "COURRIER_TERMS_MEMORY is \"8M\", expected an amount of memory from 16M, such as 1024M or 2G")
    }
}
