import Checksums
import Foundation
import Testing
@testable import Courrier
import Letters
import Rendering
@testable import Storage

/// Files customers upload are hostile: real-world broken PDFs from pdf.js's
/// test corpus and hand-made shapes, as terms of letters mixed with good ones.
/// Each bad file fails its own letter with a reason, nothing is charged for
/// it, and the batch goes on.
@Suite struct HostileFileTests {
    static let hostile = Paths.fixtures.appendingPathComponent("hostile")

    /// Every hostile PDF, by the name a document gives it.
    static func hostilePDFs() throws -> [String] {
        let corpus = try FileManager.default.contentsOfDirectory(atPath: hostile.appendingPathComponent("pdfjs").path)
            .filter { $0.hasSuffix(".pdf") }.map { "pdfjs/\($0)" }
        let handMade = try FileManager.default.contentsOfDirectory(atPath: hostile.path).filter { $0.hasSuffix(".pdf") }
        return (corpus + handMade).sorted()
    }

    /// Files that any reader prints: their letters must be mailed.
    static let printable = ["pdfjs/bug1020858.pdf", "pdfjs/bad-PageLabels.pdf", "pdfjs/bug850854.pdf",
                            "pdfjs/multiple-filters-length-zero.pdf", "pdfjs/scan-bad.pdf"]
    /// Files that cannot be printed as they are: their letters must fail.
    static let unprintable = ["pages-that-cannot-be-loaded.pdf", "zero-pages.pdf", "pdfjs/bug1020226.pdf",
                              "pdfjs/issue6010_1.pdf", "pdfjs/secHandler.pdf", "pdfjs/poppler-937-0-fuzzed.pdf",
                              "pdfjs/function_based_shading.pdf"]

    /// A one-page letter whose terms are `terms`, in `folder`'s `terms/`.
    static func letter(id: String, terms: String?) -> String {
        let termsField = terms.map { #", "terms": {"pdf": "terms/\#($0)"}"# } ?? ""
        return """
            {"format": "courrier.document/1", "account": "acme", "id": "\(id)", "kind": "letter", "language": "fr",
             "issue_date": "2026-11-28", "body": "Veuillez trouver ci-joint nos conditions générales.",
             "sender": {"name": "Acme SRL", "street": "Rue Royale 12", "postal_code": "1000", "city": "Bruxelles", "country": "BE"},
             "recipient": {"name": "Boulangerie Dupont", "street": "Rue Haute 5", "postal_code": "1030", "city": "Schaerbeek", "country": "BE"}\(termsField)}
            """
    }

    /// Pages of a PDF as pdfinfo, a reader other than Courrier's, counts them.
    static func pdfinfoPages(_ file: URL) throws -> Int? {
        try runTool("/usr/bin/pdfinfo", [file.path]).output.split(separator: "\n").first { $0.hasPrefix("Pages:") }
            .flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
    }

    /// A folder with a one-page letter for each hostile PDF (documents
    /// `PREFIX-0`, `PREFIX-1`… in the order of `hostilePDFs`), the PDFs beside them.
    static func corpusLetters(prefix: String, in folder: TemporaryFolder) throws -> (names: [String], files: [String]) {
        let documents = folder.url.appendingPathComponent("documents")
        try FileManager.default.createDirectory(at: documents, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: hostile, to: documents.appendingPathComponent("terms"))
        let names = try hostilePDFs()
        var files: [String] = []
        for (index, name) in names.enumerated() {
            files.append(try folder.write("documents/hostile-\(index).json", letter(id: "\(prefix)-\(index)", terms: name)).path)
        }
        return (names, files)
    }

    @Test func oneRunOverTheCorpusMailsWhatPrintsAndFailsTheRestAlone() throws {
        let folder = try TemporaryFolder()
        let (names, corpusFiles) = try Self.corpusLetters(prefix: "H", in: folder)
        var files = corpusFiles
        for index in 0..<3 {
            files.append(try folder.write("documents/good-\(index).json", Self.letter(id: "G-\(index)", terms: nil)).path)
        }
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_OPEN_TIMEOUT": "3s"]
        try runCourrier(["wallet", "credit", "acme", "500.00", "--reference", "TOPUP-1"], environment: environment, in: folder.url)
        let enqueue = try runCourrier(["enqueue", "--json"] + files, environment: environment, in: folder.url)
        let queued = try #require(try JSONSerialization.jsonObject(with: Data(enqueue.output.utf8)) as? [[String: Any]])
        var jobs: [String: Int64] = [:]
        for row in queued {
            jobs[row["document"] as? String ?? ""] = (row["job"] as? NSNumber)?.int64Value
        }
        #expect(enqueue.status == 1, "the failed documents are reported")
        let run = try runCourrier(["run", "--json"], environment: environment, in: folder.url)
        #expect(run.status == 0, "\(run.error)")
        for line in (enqueue.error + run.error).split(separator: "\n") where !line.hasPrefix("courrier: ") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not a log line: \(line)")
        }

        let store = try SQLiteStore(path: folder.path("courrier.sqlite"))
        defer { store.close() }
        let batch = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path("outbox")).first { !$0.hasPrefix(".") })
        let manifestFile = folder.url.appendingPathComponent("outbox/\(batch)/manifest.json")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: manifestFile)) as? [String: Any])
        let mailed = try #require(manifest["letters"] as? [[String: Any]])
        var mailedPages: [String: Int] = [:]
        for letter in mailed {
            mailedPages[letter["document"] as? String ?? ""] = letter["pages"] as? Int
        }
        var debited: Int64 = 0
        for entry in try store.history(account: "acme") where entry.kind == .debit {
            debited -= entry.amountCents
        }
        var charged: Int64 = 0
        for (index, name) in names.enumerated() {
            let id = try #require(jobs["H-\(index)"], "\(name) was not filed")
            let job = try #require(try store.job(id))
            if let pages = mailedPages["H-\(index)"] {
                // Mailed: the letter's own page and the terms as another reader counts them.
                let original = try #require(try Self.pdfinfoPages(Self.hostile.appendingPathComponent(name)), "\(name)")
                #expect(pages == 1 + original, "\(name)")
                #expect(job.state == .bundled)
                charged += job.priceCents ?? 0
                #expect(!Self.unprintable.contains(name), "\(name) was mailed")
            } else {
                #expect(job.state == .failed, "\(name)")
                let reason = try #require(job.reason, "\(name) failed without a reason")
                #expect(reason.contains("terms.pdf"), "\(name): \(reason)")
                #expect(!reason.contains("\n"))
                #expect(job.priceCents == nil, "\(name) failed, and is not charged")
                #expect(!Self.printable.contains(name), "\(name) failed: \(reason)")
            }
        }
        for index in 0..<3 { #expect(mailedPages["G-\(index)"] == 1) }
        charged += Int64(3 * 145)
        #expect(debited == charged, "the wallet paid for the letters mailed, and only those")
        #expect(try store.balance(account: "acme") == 50_000 - charged)
    }

    @Test func theWorkerPreparesTheCorpusAsItArrivesAndStopsWithinItsGraceOnSIGTERM() throws {
        let folder = try TemporaryFolder()
        let (names, files) = try Self.corpusLetters(prefix: "W", in: folder)
        let environment = ["COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
                           "COURRIER_OPEN_TIMEOUT": "3s", "COURRIER_POLL": "0.2s", "COURRIER_GRACE": "5s"]
        try runCourrier(["wallet", "credit", "acme", "500.00", "--reference", "TOPUP-1"], environment: environment, in: folder.url)
        let worker = try CourrierProcess(environment: environment, in: folder.url)
        let enqueue = try runCourrier(["enqueue", "--json"] + files, environment: environment, in: folder.url)
        let queued = try #require(try JSONSerialization.jsonObject(with: Data(enqueue.output.utf8)) as? [[String: Any]])
        #expect(queued.count == names.count)
        let store = try SQLiteStore(readingPath: folder.path("courrier.sqlite"))
        defer { store.close() }
        let drained = try worker.waitFor(seconds: 60) { try store.metrics().jobs[.queued, default: 0] == 0 }
        #expect(drained, "the worker prepared every letter")
        let stopping = Date()
        #expect(worker.terminate(within: 5) == 0)
        #expect(Date().timeIntervalSince(stopping) < 5)
        for line in worker.errorText.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not a log line: \(line)")
        }
        let jobs = try store.status(failureLimit: 100)
        #expect(jobs.jobs[.prepared, default: 0] + jobs.jobs[.failed, default: 0] == names.count)
        for name in Self.printable {
            let index = try #require(names.firstIndex(of: name))
            let row = try #require(queued.first { ($0["document"] as? String) == "W-\(index)" })
            let id = try #require((row["job"] as? NSNumber)?.int64Value)
            let job = try #require(try store.job(id))
            #expect(job.state == .prepared, "\(name)")
            #expect(job.pages == 1 + (try Self.pdfinfoPages(Self.hostile.appendingPathComponent(name)) ?? 0), "\(name)")
        }
    }

    @Test(arguments: [
        ("pages-that-cannot-be-loaded.pdf", "page 2 of 3 cannot be read"),
        ("zero-pages.pdf", "has no pages"),
        ("pdfjs/function_based_shading.pdf", "took more than 2 s of processor time to read"),
        ("pdfjs/issue6010_1.pdf", "encrypted"),
        ("pdfjs/secHandler.pdf", "forbids printing"),
    ])
    func aHandMadeShapeFailsItsLetterWithItsReason(file: String, reason: String) throws {
        let opener = IsolatedOpener(limits: .init(time: 2))
        let bytes = [UInt8](try Data(contentsOf: Self.hostile.appendingPathComponent(file)))
        #expect {
            try opener.terms(bytes, name: "terms.pdf \"\(file)\"", maximumPages: 50)
        } throws: { error in
            let message = (error as? RenderError)?.message ?? ""
            return message.hasPrefix("terms.pdf \"\(file)\"") && message.contains(reason)
        }
    }

    /// A 24 KB PDF whose page holds a 7300 x 7600 image: the copy would cost
    /// every cut that carries it 450 MiB to draw.
    @Test func aPDFThatIsTooCostlyToDrawAtEveryCutIsRefusedAtIntake() throws {
        let file = "pdfjs/issue18042.pdf"
        let bytes = [UInt8](try Data(contentsOf: Self.hostile.appendingPathComponent(file)))
        #expect {
            try IsolatedOpener().terms(bytes, name: "terms.pdf \"\(file)\"", maximumPages: 50)
        } throws: { error in
            let message = (error as? RenderError)?.message ?? ""
            // Refused for the memory its copy takes to draw; a debug build runs out of its 1 GiB first.
            return message.hasPrefix("terms.pdf \"\(file)\"")
                && (message.hasSuffix("MiB of memory to draw; terms may need at most 256 MiB") || message.hasSuffix("needs more than 1024 MiB of memory to read"))
        }
    }

    @Test func aPDFThatNeedsMoreMemoryThanTheLimitFailsNamingIt() throws {
        let opener = IsolatedOpener(limits: .init(time: 10, memoryBytes: 256 * 1024 * 1024))
        let file = "pdfjs/ContentStreamCycleType3insideType3.pdf"
        let bytes = [UInt8](try Data(contentsOf: Self.hostile.appendingPathComponent(file)))
        #expect {
            try opener.terms(bytes, name: "terms.pdf \"\(file)\"", maximumPages: 50)
        } throws: { error in
            let message = (error as? RenderError)?.message ?? ""
            return message.hasPrefix("terms.pdf") && message.contains("memory")
        }
    }

    @Test func aPNGBombIsRefusedFromItsHeaderBeforeItIsDecoded() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.hostile.appendingPathComponent("png-bomb-20000x20000.png")))
        #expect(bytes.count < 64 * 1024)
        #expect {
            try IsolatedOpener().logo(bytes, name: "sender.logo.png \"bomb.png\"")
        } throws: { error in
            (error as? RenderError)?.message == "sender.logo.png \"bomb.png\" is 20000 x 20000 pixels; a logo may be at most 4000 on each side"
        }
    }

    @Test func aChildThatRunsPastItsWallTimeIsKilledAndNamed() throws {
        // A reader that never ends: sleep, with the deadline at half a second.
        let folder = try TemporaryFolder()
        let start = Date()
        let termination = try ChildProcess.run(["/bin/sleep", "30"], standardError: folder.path("error"), timeout: 0.5)
        #expect(termination == .timedOut)
        #expect(Date().timeIntervalSince(start) < 5)
    }
}

/// Letters queued by a Courrier that stored customers' files as they were:
/// after the upgrade, their terms are read in isolation like new ones.
@Suite struct LegacyAttachmentTests {
    @Test func termsStoredRawBeforeTheUpgradeAreReadInIsolation() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("courrier.sqlite")
        try SQLiteStore(path: path, schemaVersion: 5).close()
        let old = try SQLiteConnection(path: path)
        let document = Array(HostileFileTests.letter(id: "OLD-1", terms: "terms.pdf").utf8)
        for (id, file) in [("OLD-1", "pdfjs/bug850854.pdf"), ("OLD-2", "pages-that-cannot-be-loaded.pdf")] {
            let bytes = [UInt8](try Data(contentsOf: HostileFileTests.hostile.appendingPathComponent(file)))
            let hash = SHA256.hex(bytes)
            try old.prepare("INSERT INTO attachments (hash, bytes, size, created_at) VALUES (?1, ?2, ?3, '2026-11-28T09:00:00Z')")
                .run([.text(hash), .blob(bytes), .integer(Int64(bytes.count))])
            try old.prepare("""
                INSERT INTO jobs (account, document_id, state, document, document_hash, terms_hash, created_at, updated_at)
                VALUES ('acme', ?1, 'queued', ?2, ?1, ?3, '2026-11-28T09:00:00Z', '2026-11-28T09:00:00Z')
                """).run([.text(id), .blob(document), .text(hash)])
        }
        old.close()
        let room = try TestMailRoom(folder: folder)
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1000, reference: "top-up")
        let report = try room.mailRoom.prepareAll()
        #expect(report.prepared == 1)
        #expect(report.failed == 1)
        #expect(try room.store.job(1)?.pages == 2)
        let failed = try #require(try room.store.job(2))
        #expect(failed.state == .failed)
        #expect(failed.reason?.contains("page 2 of 3 cannot be read") == true)
        #expect(try room.mailRoom.cut().first?.totals.letters == 1)
    }
}
