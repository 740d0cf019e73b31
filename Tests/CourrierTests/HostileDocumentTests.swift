import Foundation
import Testing
@testable import Courrier
import Letters
import Storage

/// A seeded generator of hostile documents: random bytes, truncations, huge
/// numbers, deep nesting, control characters and long text in every string
/// field, wrong types. A fixed number of cases runs in CI, the same ones each
/// time: none may crash, and each is queued, or fails, or is refused, with a
/// reason on one line.
@Suite struct HostileDocumentTests {
    /// SplitMix64: small, and the same sequence on every machine.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let cases = 240
    static let seed: UInt64 = 20_261_201

    /// Values that have broken parsers and printers somewhere.
    static let hostileStrings = [
        "", " ", "\u{0}", "INV\u{0}2", "a\r\nb", "\u{1B}[31mred", "\u{202E}cod.exe", "\u{2028}", "=cmd|' /C calc'!A0",
        "+32", "-", "@", String(repeating: "W", count: 5000), String(repeating: "é", count: 60), "\u{FFFF}", "🧾📬",
        "%PDF-1.7", "../../etc/passwd", "/etc/passwd", "terms/../../x.pdf", "\"", "\\", "0", "-0", "1e400",
        "99999999999999999999", "100000000000000", "-100000000000000", "0.0000001", "1.", ".5", "NaN", "+++000/0000/00097+++",
        "2026-02-30", "9999-12-31", "0000-01-01", "BE00000000000000", "#GGGGGG",
    ]
    static var hostileNumbers: [Any] { [0, -1, 1e308, -1e308, Int64.max, Int64.min, 0.1, true, NSNull(), [Any](), [String: Any]()] }

    static func mutate(_ value: Any, using generator: inout SeededGenerator, depth: Int = 0) -> Any {
        switch value {
        case var object as [String: Any]:
            for key in object.keys where Int.random(in: 0..<4, using: &generator) == 0 {
                object[key] = mutate(object[key] as Any, using: &generator, depth: depth + 1)
            }
            if Int.random(in: 0..<10, using: &generator) == 0 { object.removeValue(forKey: object.keys.randomElement(using: &generator) ?? "") }
            return object
        case var array as [Any]:
            if Int.random(in: 0..<6, using: &generator) == 0 {
                // Many lines: more than a letter may hold.
                array = Array(repeating: array.first ?? [:], count: Int.random(in: 900...1200, using: &generator))
            }
            return array.map { mutate($0, using: &generator, depth: depth + 1) }
        case is String:
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return hostileStrings.randomElement(using: &generator) ?? ""
            case 1: return hostileNumbers.randomElement(using: &generator) ?? 0
            default: return value
            }
        default:
            return hostileStrings.randomElement(using: &generator) ?? ""
        }
    }

    /// One case's bytes: a mutated fixture, or something that is barely JSON.
    static func document(_ index: Int, using generator: inout SeededGenerator) throws -> Data {
        let fixture = try Data(contentsOf: Paths.document(["acme-invoice-fr.json", "acme-entretien-fr.json",
                                                           "peeters-factuur-nl.json"][index % 3]))
        var object = try #require(try JSONSerialization.jsonObject(with: fixture) as? [String: Any])
        object["id"] = "FUZZ-\(index)"
        switch Int.random(in: 0..<10, using: &generator) {
        case 0:
            return Data((0..<Int.random(in: 0...2048, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case 1:
            let whole = try JSONSerialization.data(withJSONObject: object)
            return whole.prefix(Int.random(in: 0..<whole.count, using: &generator))
        case 2:
            let depth = Int.random(in: 100...100_000, using: &generator)
            return Data((#"{"format": "courrier.document/1", "account": "acme", "id": "FUZZ-\#(index)", "lines": "#
                + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
        case 3:
            // A control character or a hostile string in every string field.
            func poison(_ value: Any) -> Any {
                switch value {
                case let object as [String: Any]: object.mapValues(poison)
                case let array as [Any]: array.map(poison)
                case let text as String: text + (hostileStrings.randomElement(using: &generator) ?? "")
                default: value
                }
            }
            var poisoned = try #require(poison(object) as? [String: Any])
            poisoned["id"] = object["id"]
            return try JSONSerialization.data(withJSONObject: poisoned)
        default:
            var mutated = try #require(mutate(object, using: &generator) as? [String: Any])
            if Int.random(in: 0..<2, using: &generator) == 0 { mutated["id"] = object["id"] }
            return try JSONSerialization.data(withJSONObject: mutated)
        }
    }

    @Test func seededHostileDocumentsAreQueuedOrFailedWithAOneLineReasonAndNoneCrashes() throws {
        let room = try TestMailRoom()
        let documents = try room.folder.copyFixtureDocuments()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1_000_000, reference: "top-up")
        _ = try room.mailRoom.accounts.credit(account: "peeters", cents: 1_000_000, reference: "top-up-peeters")
        var generator = SeededGenerator(state: Self.seed)
        var files: [URL] = []
        for index in 0..<Self.cases {
            let file = documents.appendingPathComponent("fuzz-\(index).json")
            try Self.document(index, using: &generator).write(to: file)
            files.append(file)
        }
        var outcomes: [String: Int] = [:]
        for result in try room.mailRoom.queueing.enqueue(files: files) {
            switch result {
            case .rejected(_, let reason):
                #expect(!reason.isEmpty && !reason.contains("\n"), "\(reason)")
                outcomes["rejected", default: 0] += 1
            case .queued(let outcome):
                if outcome.job.state == .failed {
                    let reason = try #require(outcome.job.reason)
                    #expect(!reason.isEmpty && !reason.contains("\n"), "\(reason)")
                }
                outcomes[outcome.job.state.rawValue, default: 0] += 1
            }
        }
        let report = try room.mailRoom.prepareAll()
        let bundles = try room.mailRoom.cut()
        let status = try room.store.status(failureLimit: Self.cases)
        for failure in status.failures {
            #expect(failure.reason.map { !$0.contains("\n") } ?? false, "\(failure)")
        }
        #expect((status.jobs[.queued] ?? 0) == 0, "every queued case was prepared or failed")
        #expect(bundles.reduce(0) { $0 + $1.totals.letters } == report.prepared)
        // The generator reaches every outcome: the cases are hostile, and not all hopeless.
        #expect(outcomes["rejected", default: 0] > 0 && outcomes["failed", default: 0] > 0 && report.prepared > 0,
                "\(outcomes), prepared \(report.prepared)")
    }

    @Test func aDocumentFarOverThePageLimitFailsBeforeItIsDrawn() throws {
        let room = try TestMailRoom()
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 10_000, reference: "top-up")
        let file = try room.folder.write("long.json", try fixtureDocument {
            $0["terms"] = nil
            $0["totals"] = nil
            var sender = $0["sender"] as? [String: Any] ?? [:]
            sender["logo"] = nil
            $0["sender"] = sender
            $0["lines"] = (0..<1000).map { index in
                ["description": "Article \(index) " + String(repeating: "x", count: 900), "quantity": "1",
                 "unit_price": "1.00", "vat_rate": "21"]
            }
        })
        let start = Date()
        let job = try #require(try room.enqueue(file).first).job
        let report = try room.mailRoom.prepareAll()
        #expect(report.failed == 1)
        let failed = try #require(try room.store.job(job.id))
        #expect(failed.reason?.hasPrefix("the letter has at least ") == true, "\(failed.reason ?? "")")
        #expect(failed.reason?.hasSuffix("pages; the tariff for Belgium allows at most 50") == true)
        #expect(Date().timeIntervalSince(start) < 5, "refused without drawing 200 pages")
        #expect(try room.store.balance(account: "acme") == 10_000)
    }

    @Test func documentLimitsAreNamedInTheFailure() throws {
        let tooMany = try fixtureDocument {
            $0["lines"] = Array(repeating: ["description": "x", "quantity": "1", "unit_price": "1", "vat_rate": "21"], count: 1001)
        }
        #expect(throws: DocumentError.self) { try DocumentParser.parse(Data(tooMany.utf8)) }
        #expect((try? DocumentParser.parse(Data(tooMany.utf8))) == nil)
        do { _ = try DocumentParser.parse(Data(tooMany.utf8)) } catch {
            #expect(error.description.contains("lines has 1001 entries; at most 1000 are allowed"))
        }
        let huge = try fixtureDocument {
            $0["lines"] = [["description": "x", "quantity": "100000000000000", "unit_price": "10000", "vat_rate": "21"]]
            $0["totals"] = nil
        }
        do { _ = try DocumentParser.parse(Data(huge.utf8)) } catch {
            #expect(error.description.contains("lines[0].quantity is 100000000000000 and unit_price 10000: their product is beyond the largest amount of a line"))
        }
        let long = try fixtureDocument { $0["notes"] = String(repeating: "n", count: 10_001) }
        do { _ = try DocumentParser.parse(Data(long.utf8)) } catch {
            #expect(error.description.contains("notes is 10001 characters long; at most 10000 are allowed"))
        }
    }
}
