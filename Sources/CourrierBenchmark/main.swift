import Courrier
import Delivery
import Foundation
import Letters
import Rendering
import Storage

// Courrier's benchmark: prints figures, asserts nothing. Run it with
// deploy/benchmark, which builds in release mode first.
//
//   render+count  letters per second for rendering a fixture invoice with its
//                 one-page terms PDF and counting the pages with Poppler, in process
//   run N         a whole `courrier run` process over N queued letters: letters
//                 per second and the process's peak resident memory
//   upload MB|FILE RUNS  (`courrier-benchmark upload 100 5`) hands a bundle
//                 whose PDF is MB megabytes of random bytes, or FILE, to the
//                 destination in COURRIER_DELIVER, RUNS times, each a fresh
//                 bundle, connection included
//   corpus FOLDER (`courrier-benchmark corpus Fixtures/hostile`) each PDF
//                 below FOLDER as the terms of a one-page letter: the time
//                 each takes to enqueue (read in isolation), what was mailed
//                 and what failed by reason, and the peak memory of the run
//   workers FIXTURES N URL  (`courrier-benchmark workers Fixtures/documents 2000
//                 postgres://courrier@127.0.0.1:5433/postgres`) N letters
//                 prepared and cut by 1, 2 and 4 `courrier run` processes at
//                 once, on SQLite and on a fresh database of the PostgreSQL
//                 server at URL; and how long an idle `courrier worker` takes
//                 to prepare a letter queued by another process
//   webhook N URL SECRET_FILE  (`courrier-benchmark webhook 2000
//                 http://127.0.0.1:8099/ var/secret`) N events posted, one a
//                 request, signed, to the receiver at URL: events per second
//   shapes FIXTURES (`courrier-benchmark shapes Fixtures/documents`) each
//                 hostile shape a customer can send (mark floods, endless
//                 words, image terms, slow files, 300 VAT rates) among 50 good
//                 letters: what became of them, enqueue and run times, and the
//                 run's peak memory
//   payment-details FILE (`courrier-benchmark payment-details
//                 Fixtures/payment/ibans.tsv`) each IBAN or VAT number of FILE
//                 read as a sender's: accepted and refused per country, and
//                 why each refusal

let arguments = CommandLine.arguments
let binaryFolder = URL(fileURLWithPath: arguments[0]).deletingLastPathComponent()
let courrier = binaryFolder.appendingPathComponent("courrier").path

if arguments.count > 1 && arguments[1] == "upload" {
    let source = arguments.count > 2 ? arguments[2] : "100"
    let runs = arguments.count > 3 ? Int(arguments[3]) ?? 5 : 5
    try benchmarkUpload(source: source, runs: runs)
    exit(0)
}
if arguments.count > 3 && arguments[1] == "webhook" {
    try benchmarkWebhook(fixtures: URL(fileURLWithPath: "Fixtures/documents"), events: Int(arguments[2]) ?? 2000,
                         url: arguments[3], secretFile: arguments.count > 4 ? arguments[4] : nil)
    exit(0)
}
if arguments.count > 2 && arguments[1] == "corpus" {
    try benchmarkCorpus(URL(fileURLWithPath: arguments[2]))
    exit(0)
}
if arguments.count > 3 && arguments[1] == "grey-terms" {
    for variant in 0..<(Int(arguments[3]) ?? 20) {
        greyImagePDF(URL(fileURLWithPath: arguments[2]).appendingPathComponent("grey-\(variant).pdf"), variant: variant)
    }
    exit(0)
}
if arguments.count > 2 && arguments[1] == "payment-details" {
    try benchmarkPaymentDetails(URL(fileURLWithPath: arguments[2]))
    exit(0)
}
if arguments.count > 2 && arguments[1] == "shapes" {
    try benchmarkShapes(fixtures: URL(fileURLWithPath: arguments[2]))
    exit(0)
}
if arguments.count > 4 && arguments[1] == "workers" {
    try benchmarkWorkers(fixtures: URL(fileURLWithPath: arguments[2]), letters: Int(arguments[3]) ?? 2000,
                         postgres: arguments[4])
    exit(0)
}
let fixtures = URL(fileURLWithPath: arguments.count > 1 ? arguments[1] : "Fixtures/documents")
let runSizes = arguments.count > 2 ? arguments[2].split(separator: ",").compactMap { Int($0) } : [1000, 10000]

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let invoiceFile = fixtures.appendingPathComponent("acme-invoice-fr.json")
let invoiceData = try Data(contentsOf: invoiceFile)
let document = try DocumentParser.parse(invoiceData)
// What intake stores: Courrier's copies of the terms PDF and of the logo the fixture invoice carries.
let opener = IsolatedOpener()
let termsBytes = try opener.terms([UInt8](try Data(contentsOf: fixtures.appendingPathComponent("terms/acme-cgv.pdf"))),
                                  name: "terms/acme-cgv.pdf", maximumPages: 50).pdf
let logoBytes = try opener.logo([UInt8](try Data(contentsOf: fixtures.appendingPathComponent("logos/acme.png"))),
                                name: "logos/acme.png")
let logo = try LetterLogo(png: logoBytes, name: "logos/acme.png")

// 1. Render + page count, in process, the terms PDF opened once.
let renderer = LetterRenderer()
let terms = LetterTerms.pdf(try PDFDocument(bytes: termsBytes, name: "terms"))
_ = try renderer.render(document, terms: terms, logo: logo)  // fonts and caches warm
let letters = 500
var pagesSeen = 0
let renderSeconds = try seconds {
    for _ in 0..<letters {
        let letter = try renderer.render(document, terms: terms, logo: logo)
        pagesSeen += try PDFDocument(bytes: letter.pdf, name: "letter").pageCount
    }
}
precondition(pagesSeen == 2 * letters, "every letter should have 2 pages")
print(String(format: "render+count   %6.0f letters/s   (%d letters of 2 pages with the logo, %.2f ms each)",
             Double(letters) / renderSeconds, letters, renderSeconds * 1000 / Double(letters)))

// 1b. What preparing a letter costs: its pages counted from its layout, nothing drawn.
let countSeconds = try seconds {
    for _ in 0..<letters {
        let pages = try renderer.pageCount(document, terms: terms)
        precondition(pages == 2, "every letter should have 2 pages")
    }
}
print(String(format: "prepare count  %6.0f letters/s   (%.2f ms each: what `run` does before charging)",
             Double(letters) / countSeconds, countSeconds * 1000 / Double(letters)))

// 2. Whole runs, each in a process of its own so its peak memory is its own.
func spawn(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, seconds: Double, maxRSSKiB: Int) {
    try spawn(courrier, arguments, environment: environment)
}

/// Runs `executable` with `arguments`; its exit status, wall time and peak
/// resident memory. The peak counts from this process's own at the start
/// (Linux keeps it across exec), so this process stays small.
func spawn(_ executable: String, _ arguments: [String], environment: [String: String]) throws
    -> (status: Int32, seconds: Double, maxRSSKiB: Int) {
    var pid: pid_t = 0
    let courrier = executable
    let argv = ([courrier] + arguments).map { strdup($0) } + [nil]
    let environ = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { argv.forEach { free($0) }; environ.forEach { free($0) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let start = DispatchTime.now().uptimeNanoseconds
    guard posix_spawn(&pid, courrier, &actions, nil, argv, environ) == 0 else {
        throw BenchmarkFailure("cannot start \(courrier)")
    }
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return ((status >> 8) & 0xff, elapsed, Int(usage.ru_maxrss))
}

var peaks: [(letters: Int, kib: Int)] = []
var runRates: [(letters: Int, rate: Double)] = []
for size in runSizes {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("courrier-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let database = folder.appendingPathComponent("store.sqlite").path
    let store = try SQLiteStore(path: database)
    _ = try store.credit(account: "acme", cents: Int64(size) * 200, reference: "bench", at: Date())
    var json = try JSONSerialization.jsonObject(with: invoiceData) as! [String: Any]
    for index in 0..<size {
        json["id"] = "BENCH-\(index)"
        // Every fourth letter in duplex: the cut writes two streams.
        json["print"] = ["duplex": index % 4 == 0]
        _ = try store.enqueue(try checkedSubmission(json, terms: termsBytes, logo: logoBytes), at: Date())
    }
    store.close()
    let result = try spawn(["run", "--log-level", "warning"], environment: [
        "COURRIER_DATABASE": database, "COURRIER_OUTBOX": folder.appendingPathComponent("outbox").path,
    ])
    guard result.status == 0 else { throw BenchmarkFailure("courrier run exited \(result.status)") }
    let bundle = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("outbox").path).first ?? "?"
    let bundleFolder = folder.appendingPathComponent("outbox/\(bundle)")
    let pdfBytes = try FileManager.default.contentsOfDirectory(atPath: bundleFolder.path).filter { $0.hasSuffix(".pdf") }
        .reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(
            atPath: bundleFolder.appendingPathComponent($1).path)[.size] as? Int) ?? 0) }
    peaks.append((size, result.maxRSSKiB))
    runRates.append((size, Double(size) / result.seconds))
    print(String(format: "run %5d      %6.0f letters/s   (%.2f s)   peak memory %4d MiB   bundle %.1f KiB a letter",
                 size, Double(size) / result.seconds, result.seconds, result.maxRSSKiB / 1024,
                 Double(pdfBytes) / 1024 / Double(size)))
}
// 3. The peer: a short Python script on the same C libraries, one PDF per document;
//    and the same without its payment code, whose encoder is pure Python.
for (label, arguments) in [("peer", [String]()), ("peer, no QR", ["--no-qr"])] {
    guard let peerRate = try peerRate(letters: 500, arguments: arguments) else { break }
    let libraries = arguments.isEmpty ? "pycairo, Pango, Poppler, python3-qrcode" : "pycairo, Pango, Poppler"
    print(label.padding(toLength: 15, withPad: " ", startingAt: 0)
          + String(format: "%6.0f letters/s   ", peerRate) + "(Python: \(libraries); one PDF per document)")
    for (size, rate) in runRates {
        print(String(format: "run %5d      %6.2f times the rate of the ", size, rate / peerRate) + label)
    }
}
if let smallest = peaks.first, let largest = peaks.last, largest.letters > smallest.letters {
    print(String(format: "peak memory, %d letters against %d: %.2f times", largest.letters, smallest.letters,
                 Double(largest.kib) / Double(smallest.kib)))
}

/// Uploads a bundle `runs` times and prints the rate of each. Its PDF is
/// `source` megabytes of random bytes, or the file at `source`.
func benchmarkUpload(source: String, runs: Int) throws {
    guard let settings = try Configuration.fromEnvironment(ProcessInfo.processInfo.environment).deliverySettings() else {
        throw BenchmarkFailure("set COURRIER_DELIVER (and for SFTP COURRIER_SSH_KEY, COURRIER_KNOWN_HOSTS); deploy/sftp-drop prints them")
    }
    let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("courrier-upload-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: bundle) }
    let pdfPath = bundle.appendingPathComponent("letters.pdf").path
    if let megabytes = Int(source) {
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        guard FileManager.default.createFile(atPath: pdfPath, contents: nil) else {
            throw BenchmarkFailure("cannot create \(pdfPath)")
        }
        let pdf = try FileHandle(forWritingTo: URL(fileURLWithPath: pdfPath))
        for _ in 0..<megabytes { try pdf.write(contentsOf: try random.read(upToCount: 1 << 20) ?? Data()) }
        try pdf.close()
    } else {
        try FileManager.default.createSymbolicLink(atPath: pdfPath, withDestinationPath: URL(fileURLWithPath: source).path)
    }
    try Data("{}\n".utf8).write(to: bundle.appendingPathComponent("manifest.json"))
    let rules = BundleDrop(root: settings.destination.root, trigger: settings.trigger)
    var rates: [Double] = []
    for run in 1...runs {
        var receipt: BundleDrop.Receipt?
        let elapsed = try seconds {
            let drop = try settings.openDrop()
            defer { drop.close() }
            receipt = try rules.deliver(bundle: bundle, batch: "benchmark-\(UUID().uuidString)", to: drop)
        }
        let bytes = Double(receipt?.bytesSent ?? 0)
        rates.append(bytes / 1_048_576 / elapsed)
        print(String(format: "upload %d      %6.1f MiB/s   (%.0f MiB in %.2f s, connection included)", run, rates.last!,
                     bytes / 1_048_576, elapsed))
    }
    print(String(format: "upload median %6.1f MiB/s   to %@", rates.sorted()[rates.count / 2], settings.destination.description))
}

/// Mails each PDF below `corpus` as the terms of a one-page letter, from the
/// command line, and prints what became of each and what it cost.
func benchmarkCorpus(_ corpus: URL) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("courrier-corpus-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.copyItem(at: corpus, to: folder.appendingPathComponent("terms"))
    let environment = ["COURRIER_DATABASE": folder.appendingPathComponent("store.sqlite").path,
                       "COURRIER_OUTBOX": folder.appendingPathComponent("outbox").path, "COURRIER_LOG_LEVEL": "error"]
    guard try spawn(["wallet", "credit", "acme", "1000", "--reference", "corpus"], environment: environment).status == 0 else {
        throw BenchmarkFailure("courrier wallet credit failed")
    }
    let files = (FileManager.default.enumerator(atPath: corpus.path)?.compactMap { $0 as? String } ?? [])
        .filter { $0.hasSuffix(".pdf") }.sorted()
    var timings: [(file: String, seconds: Double)] = []
    for (index, file) in files.enumerated() {
        let document = """
            {"format": "courrier.document/1", "account": "acme", "id": "CORPUS-\(index)", "kind": "letter", "language": "fr",
             "issue_date": "2026-11-28", "body": "Veuillez trouver ci-joint nos conditions générales.",
             "sender": {"name": "Acme SRL", "street": "Rue Royale 12", "postal_code": "1000", "city": "Bruxelles", "country": "BE"},
             "recipient": {"name": "Boulangerie Dupont", "street": "Rue Haute 5", "postal_code": "1030", "city": "Schaerbeek",
                           "country": "BE"},
             "terms": {"pdf": "terms/\(file)"}}
            """
        let path = folder.appendingPathComponent("letter-\(index).json")
        try Data(document.utf8).write(to: path)
        timings.append((file, try spawn(["enqueue", path.path], environment: environment).seconds))
    }
    let run = try spawn(["run"], environment: environment)
    let store = try SQLiteStore(readingPath: environment["COURRIER_DATABASE"] ?? "")
    defer { store.close() }
    let metrics = try store.metrics()
    let mailed = metrics.jobs[.bundled, default: 0]
    print("corpus         \(files.count) PDFs as terms: \(mailed) mailed, \(metrics.jobs[.failed, default: 0]) failed")
    // Reasons without the file's name and with numbers as N, so that alike failures count together.
    var reasons: [String: Int] = [:]
    for job in try store.status(failureLimit: files.count).failures {
        var reason = job.reason ?? "?"
        // `terms.pdf "terms/x.pdf" is…` or `terms.pdf "terms/x.pdf": page…`: what follows the name.
        let quotes = reason.indices.filter { reason[$0] == "\"" }
        if quotes.count >= 2 {
            reason = reason[reason.index(after: quotes[1])...].trimmingCharacters(in: CharacterSet(charactersIn: ": "))
        }
        reason = String(reason.map { $0.isNumber ? "N" : $0 }).replacingOccurrences(of: "NN", with: "N")
            .replacingOccurrences(of: "NN", with: "N")
        reasons[reason, default: 0] += 1
    }
    for (reason, count) in reasons.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
        print(String(format: "  failed   %3d  %@", count, reason))
    }
    for (file, seconds) in timings.sorted(by: { $0.seconds > $1.seconds }).prefix(3) {
        print(String(format: "  slowest       %6.2f s to enqueue  %@", seconds, file))
    }
    print(String(format: "run            %6.2f s   peak memory %4d MiB", run.seconds, run.maxRSSKiB / 1024))
}

/// Letters a second of `deploy/peer/invoice.py` on the fixture invoice, or
/// nil (saying why) when Python's libraries are not installed.
func peerRate(letters: Int, arguments extra: [String]) throws -> Double? {
    let script = binaryFolder.appendingPathComponent("../../deploy/peer/invoice.py").standardizedFileURL.path
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("courrier-peer-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = [script, invoiceFile.path, String(letters), folder.path] + extra
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch {
        print("peer           not run: no /usr/bin/python3 (deploy/setup release peer installs it)")
        return nil
    }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0, let rate = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        print("peer           not run: \(script) failed (deploy/setup release peer installs its libraries)")
        return nil
    }
    return rate
}

/// A benchmark that could not be run as set up: it says what to fix.
struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A queued letter as intake leaves it, without intake's reading of its
/// files in isolation: the customer's JSON and the letter as checked.
func checkedSubmission(_ json: [String: Any], terms: [UInt8]? = nil, logo: [UInt8]? = nil) throws -> Submission {
    let bytes = [UInt8](try JSONSerialization.data(withJSONObject: json))
    let document = try DocumentParser.parse(Data(bytes))
    var submission = Submission(account: document.account, documentID: document.id, document: bytes, terms: terms, logo: logo)
    submission.letter = try document.storedForm()
    return submission
}
