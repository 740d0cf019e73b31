import Foundation
import Testing
@testable import Courrier
import Letters
@testable import Rendering
import Storage

/// A customer's text is hostile: endless words, runs of combining marks,
/// scripts the shaper works hard on. Each letter holding such text fails
/// alone with a reason, or goes out with the page count it was charged for;
/// the good letters beside it are bundled either way.
@Suite struct HostileTextTests {
    private func termsText(_ text: String, id: String) throws -> String {
        try fixtureDocument {
            $0["id"] = id
            $0["terms"] = ["text": text]
        }
    }

    @Test func endlessWordsAndMarkFloodsFailAloneOrGoOut() throws {
        let room = try TestMailRoom()
        let documents = try room.folder.copyFixtureDocuments()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 10_000, reference: "top-up")
        _ = try room.mailRoom.accounts.credit(account: "bakkerij-peeters", cents: 10_000, reference: "top-up-peeters")
        let unbroken = try room.folder.write("documents/unbroken.json",
                                             termsText(String(repeating: "a", count: 199_000), id: "UNBROKEN"))
        let flood = try room.folder.write("documents/flood.json",
                                          termsText(String(repeating: "a", count: 199_000)
                                                    + String(repeating: "\u{0301}", count: 7_000_000), id: "FLOOD"))
        let results = try room.mailRoom.queueing.enqueue(files: [
            documents.appendingPathComponent("acme-invoice-fr.json"), unbroken, flood,
            documents.appendingPathComponent("peeters-factuur-nl.json"),
        ])
        // The flood is refused at intake, naming the field; nothing is charged for it.
        let refusal: String? = switch results[2] {
        case .rejected(_, let reason): reason
        case .queued(let outcome): outcome.job.state == .failed ? outcome.job.reason : nil
        }
        #expect(refusal?.contains("terms.text") == true && refusal?.contains("code points") == true, "\(results[2])")

        let report = try room.mailRoom.prepareAll()
        let after = try room.store.status(failureLimit: 5)
        #expect(report.prepared == 3, "\(after.failures) \(after.jobs) \(report)")
        let bundles = try room.mailRoom.cut()
        let bundle = try #require(bundles.first)
        #expect(bundle.totals.letters == 3, "the endless word is set across lines and printed with the good letters")
        #expect(try sha256sumCheck(bundle.folder))
        let pages = try fileNames(bundle.folder).filter { $0.hasSuffix(".pdf") }
            .reduce(0) { $0 + (try openPDF(bundle.folder.appendingPathComponent($1))).pageCount }
        let charged = try room.store.status(failureLimit: 10)
        #expect(charged.jobs[.bundled] == 3)
        #expect(pages >= 3 + 20, "199,000 letters fill pages of terms: \(pages)")
        // The flood cost nothing; the endless word was charged for every page it printed.
        let prices = try results.prefix(3).map { result -> Int64? in
            guard case .queued(let outcome) = result else { return nil }
            return try room.store.job(outcome.job.id)?.priceCents
        }
        #expect(prices[2] == nil)
        #expect(try room.mailRoom.accounts.balance(account: "acme") == 10_000 - (prices[0] ?? 0) - (prices[1] ?? 0))
        #expect((prices[1] ?? 0) > 300, "a flat C4 letter of many pages")
    }

    @Test func aLetterOverItsLayoutBudgetFailsWithTheReason() throws {
        let text = String(repeating: "Les présentes conditions s'appliquent à toute commande. ", count: 3000)
        let document = try DocumentParser.parse(Data(try termsText(text, id: "SLOW").utf8))
        // A budget no real layout meets: the check, not the machine, decides.
        let hurried = LetterRenderer(layoutBudget: 1e-6)
        let error = #expect(throws: RenderError.self) {
            _ = try hurried.pageCount(document, terms: .text(text))
        }
        #expect(error?.code == .layoutTooSlow)
        #expect(error?.message.contains("s of processor time; a letter may take 1e-06 s") == true, "\(String(describing: error))")
        #expect(try LetterRenderer().pageCount(document, terms: .text(text)) > 1, "the standard budget takes it")
    }

    @Test func textWithoutSpacesIsBrokenIntoRunsPangoSetsQuickly() {
        let word = String(repeating: "x", count: 200)
        let broken = TextBlock.breakable("ab " + word)
        #expect(broken.replacingOccurrences(of: "\u{200B}", with: "") == "ab " + word, "nothing visible is added")
        let runs = broken.split(separator: " ").last!.split(separator: "\u{200B}")
        #expect(runs.map(\.count) == [48, 48, 48, 48, 8])
        #expect(TextBlock.breakable("short words only") == "short words only")
        // A combining mark stays with its letter: runs count characters.
        let marked = TextBlock.breakable(String(repeating: "e\u{0301}", count: 60))
        #expect(marked.split(separator: "\u{200B}").map(\.count) == [48, 12])
    }

    /// A seeded generator of Unicode shapes in every text field a letter prints.
    struct Shapes {
        var generator: HostileDocumentTests.SeededGenerator

        static let scripts = ["Ελληνικά κείμενα", "Кириллица текст", "עברית טקסט", "نص عربي طويل", "Tiếng Việt có dấu",
                              "ŁÓDŹ ĄĘ", "ไทย", "देवनागरी", "한국어", "中文字符", "\u{202E}reversed\u{202C}", "a\u{200D}b\u{200C}c"]

        mutating func text() -> String {
            switch Int.random(in: 0..<5, using: &generator) {
            case 0: // a combining run on each of a few letters
                let marks = Int.random(in: 1...12, using: &generator)
                return (0..<Int.random(in: 1...40, using: &generator)).map { _ in
                    "e" + String((0..<marks).map { _ in Character(Unicode.Scalar(0x300 + Int.random(in: 0..<0x70, using: &generator))!) })
                }.joined()
            case 1: // a long word
                return String(repeating: "ž", count: Int.random(in: 60...6000, using: &generator))
            case 2: // scripts, mixed directions
                return (0..<Int.random(in: 1...30, using: &generator)).map { _ in Self.scripts.randomElement(using: &generator)! }
                    .joined(separator: " ")
            case 3: // jamo that compose into one character, or do not
                return String(repeating: "\u{1100}\u{1161}\u{11A8}", count: Int.random(in: 1...8, using: &generator))
            default:
                return "Acme " + String(repeating: "ff\u{0308}", count: Int.random(in: 1...300, using: &generator))
            }
        }
    }

    @Test func seededUnicodeShapesFailAloneWithAReasonOrGoOut() throws {
        let room = try TestMailRoom()
        let documents = try room.folder.copyFixtureDocuments()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 100_000, reference: "top-up")
        var shapes = Shapes(generator: .init(state: HostileDocumentTests.seed))
        var files = [documents.appendingPathComponent("acme-invoice-fr.json")]
        for index in 0..<40 {
            let text = try fixtureDocument {
                $0["id"] = "SHAPE-\(index)"
                var sender = $0["sender"] as! [String: Any], recipient = $0["recipient"] as! [String: Any]
                var lines = $0["lines"] as! [[String: Any]]
                switch index % 5 {
                case 0: sender["name"] = shapes.text()
                case 1: recipient["name"] = shapes.text()
                case 2: lines[0]["description"] = shapes.text()
                case 3: $0["notes"] = shapes.text()
                default: $0["terms"] = ["text": (0..<20).map { _ in shapes.text() }.joined(separator: "\n")]
                }
                $0["sender"] = sender; $0["recipient"] = recipient; $0["lines"] = lines
            }
            files.append(try room.folder.write("documents/shape-\(index).json", text))
        }
        var accepted = 0
        for result in try room.mailRoom.queueing.enqueue(files: files) {
            switch result {
            case .rejected(_, let reason):
                #expect(!reason.isEmpty && !reason.contains("\n"), "\(reason)")
            case .queued(let outcome):
                if outcome.job.state == .failed {
                    #expect(outcome.job.reason.map { !$0.contains("\n") } == true)
                } else {
                    accepted += 1
                }
            }
        }
        let report = try room.mailRoom.prepareAll()
        let bundles = try room.mailRoom.cut()
        let status = try room.store.status(failureLimit: 50)
        #expect(status.jobs[.queued] == nil, "every letter was prepared or failed")
        for failure in status.failures {
            #expect(failure.reason.map { !$0.isEmpty && !$0.contains("\n") } == true, "\(failure)")
        }
        // The cut checks each letter's pages with Poppler against what was charged.
        #expect(bundles.reduce(0) { $0 + $1.totals.letters } == report.prepared)
        #expect(status.jobs[.bundled] == report.prepared)
        #expect(report.prepared > 1 && report.prepared <= accepted, "the good letter and some shapes go out: \(report.prepared)")
        #expect(status.failures.count > 0, "some shapes hold what no font draws, or more than the limits")
    }
}
