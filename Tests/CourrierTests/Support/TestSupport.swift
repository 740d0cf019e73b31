import Foundation
import Testing
@testable import Courrier
import Letters
import Rendering
import Storage

/// The package's folders, found from this file's place in the tree.
enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Fixtures")
    static let documents = fixtures.appendingPathComponent("documents")

    static func document(_ name: String) -> URL {
        documents.appendingPathComponent(name)
    }

    /// The `courrier` binary that `swift build` (and `swift test`) put in .build.
    static var courrierBinary: URL {
        get throws {
            let candidates = ["debug", "release"].map { packageRoot.appendingPathComponent(".build/\($0)/courrier") }
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw TestFailure("no courrier binary in .build; run `swift build` first")
            }
            return found
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A folder of its own for one test, removed when the test is done.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("courrier-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes a document into the folder, so that its terms paths resolve here.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }

    /// Copies the fixture documents and their terms here.
    func copyFixtureDocuments() throws -> URL {
        let target = url.appendingPathComponent("documents")
        try FileManager.default.copyItem(at: Paths.documents, to: target)
        return target
    }
}

/// A mail room on a fresh store (an SQLite file, or a PostgreSQL database of
/// its own), with the log kept for the test to read.
final class TestMailRoom {
    let folder: TemporaryFolder
    let mailRoom: MailRoom
    let logLines = LogLines()
    /// The store's path or URL.
    let database: String

    /// `database`: a store another mail room of the test already uses.
    init(folder: TemporaryFolder? = nil, backend: Backend = .sqlite, database: String? = nil,
         configure: (inout Configuration) -> Void = { _ in }) throws {
        let folder = try folder ?? TemporaryFolder()
        self.folder = folder
        self.database = try database ?? backend.makeLocation(in: folder)
        var configuration = Configuration(database: self.database, outbox: folder.path("outbox"))
        configure(&configuration)
        let lines = logLines
        mailRoom = try MailRoom.open(configuration, log: EventLog(minimumLevel: .debug) { lines.append($0) })
    }

    deinit {
        mailRoom.close()
    }

    var store: LetterStore { mailRoom.store }

    func enqueue(_ files: URL...) throws -> [EnqueueOutcome] {
        try mailRoom.queueing.enqueue(files: files).map { result in
            guard case .queued(let outcome) = result else { throw TestFailure("not queued: \(result)") }
            return outcome
        }
    }
}

final class LogLines: @unchecked Sendable {
    // @unchecked Sendable: lines are appended and read under `lock`.
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        lines.append(line)
    }

    /// Everything written, as one text.
    var text: String {
        lock.lock(); defer { lock.unlock() }
        return lines.joined()
    }

    /// Each line parsed as a JSON object.
    var events: [[String: Any]] {
        lock.lock(); defer { lock.unlock() }
        return lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

/// A document built from the standard fixture with some fields changed.
func fixtureDocument(_ name: String = "acme-invoice-fr.json", changing change: (inout [String: Any]) -> Void) throws -> String {
    let data = try Data(contentsOf: Paths.document(name))
    var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    change(&object)
    return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

/// Runs the courrier binary and collects what it said.
struct ProcessResult {
    var status: Int32
    var output: String
    var error: String
}

@discardableResult
func runCourrier(_ arguments: [String], environment: [String: String] = [:], in folder: URL) throws -> ProcessResult {
    try runTool(try Paths.courrierBinary.path, arguments, in: folder,
                environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COURRIER_") }
                    .merging(environment) { $1 })
}

/// Runs a program (pdfinfo, systemd-analyze, courrier) and collects what it said.
func runTool(_ path: String, _ arguments: [String], in folder: URL? = nil,
             environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = folder }
    if let environment { process.environment = environment }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Standard error read on a thread of its own: a program that fills one
    // pipe while the other is being read would otherwise wait forever.
    let errorText = ErrorText()
    let reading = DispatchGroup()
    DispatchQueue.global().async(group: reading) {
        errorText.set(error.fileHandleForReading.readDataToEndOfFile())
    }
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    reading.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                         error: String(decoding: errorText.data, as: UTF8.self))
}

/// What a program wrote on standard error, read on another thread.
private final class ErrorText: @unchecked Sendable {
    // @unchecked Sendable: `data` is set once by the reading thread, and read
    // only after the caller has waited for that thread.
    var data = Data()
    func set(_ data: Data) { self.data = data }
}

/// Reads a PDF file back with Poppler.
func openPDF(_ url: URL) throws -> PDFDocument {
    try PDFDocument(bytes: [UInt8](try Data(contentsOf: url)), name: url.lastPathComponent)
}
