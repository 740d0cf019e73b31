import Foundation
import Testing
@testable import Bundling
@testable import Courrier
import Letters
import Storage

/// What reaches an operator's terminal, a print shop's spreadsheet and the
/// machine's disk: nothing a customer typed can act as a control sequence or
/// a formula, files are private, and a full disk loses nothing.
@Suite struct OperatorSafetyTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("Dupont, Marie", "\"Dupont, Marie\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\r\nlines", "\"two\r\nlines\""),
        ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
        ("+32 2 123 45 67", "'+32 2 123 45 67"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
    ])
    func csvCellsAreQuotedPerRFC4180AndNeverAFormula(text: String, cell: String) {
        #expect(Manifest.csvField(text) == cell)
    }

    @Test func controlCharactersReachNeitherTheTerminalNorTheTextLog() {
        let hostile = "acme\u{1B}[2J\u{202E}gnp.exe\r\nforged"
        #expect(ControlCharacters.escaped(hostile) == "acme\\u{001B}[2J\\u{202E}gnp.exe\\u{000D}\\u{000A}forged")
        let lines = LogLines()
        let log = EventLog(format: .text) { lines.append($0) }
        log.info("job.failed", ["reason": .string(hostile)])
        #expect(!ControlCharacters.occur(in: lines.text.dropLast().description))
        #expect(lines.text.hasSuffix("\n"))
        let json = LogLines()
        EventLog(format: .json) { json.append($0) }.info("job.failed", ["reason": .string(hostile)])
        #expect(!ControlCharacters.occur(in: json.text.dropLast().description))
        #expect(json.events.first?["reason"] as? String == hostile, "the JSON log keeps the value, escaped")
    }

    @Test func aDocumentWithControlCharactersFailsNamingTheFieldAndTheCharacter() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("doc.json", try fixtureDocument {
            $0["terms"] = nil
            var recipient = $0["recipient"] as? [String: Any] ?? [:]
            recipient["name"] = "Boulangerie\nDupont"
            $0["recipient"] = recipient
        })
        let result = try runCourrier(["enqueue", file.path], environment: ["COURRIER_DATABASE": folder.path("s.sqlite")], in: folder.url)
        #expect(result.status == 1)
        #expect(result.error.contains("recipient.name holds the control character U+000A at character 12"))
        let withNUL = try folder.write("nul.json", try fixtureDocument { $0["id"] = "INV-1\u{0}INV-2" })
        let refused = try runCourrier(["enqueue", withNUL.path], environment: ["COURRIER_DATABASE": folder.path("s.sqlite")], in: folder.url)
        #expect(refused.status == 1)
        #expect(refused.error.contains("id holds the control character U+0000"))
    }

    @Test func theStoreAndTheBundlesArePrivateWhateverTheUmask() throws {
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let environment = ["COURRIER_DATABASE": folder.path("var/store.sqlite"), "COURRIER_OUTBOX": folder.path("var/outbox")]
        /// The command line as a user whose umask gives everything to everyone runs it.
        func courrier(_ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "umask 000; exec \"$0\" \"$@\"", try Paths.courrierBinary.path] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(try courrier(["wallet", "credit", "acme", "10", "--reference", "r1"]) == 0)
        #expect(try courrier(["enqueue", documents.appendingPathComponent("acme-invoice-fr.json").path]) == 0)
        #expect(try courrier(["run"]) == 0)
        func mode(_ path: String) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        #expect(try mode(folder.path("var")) == 0o700)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path("var")) where file.hasPrefix("store.sqlite") {
            #expect(try mode(folder.path("var/\(file)")) == 0o600, "\(file)")
        }
        #expect(try mode(folder.path("var/outbox")) == 0o700)
        let batch = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path("var/outbox")).first)
        #expect(try mode(folder.path("var/outbox/\(batch)")) == 0o700)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path("var/outbox/\(batch)")) {
            #expect(try mode(folder.path("var/outbox/\(batch)/\(file)")) & 0o077 == 0, "\(file)")
        }
    }

    @Test(arguments: [["status"], ["wallet", "balance", "acme"], ["wallet", "history", "acme"], ["letter", "42"], ["letters"],
                      ["events"], ["reconcile"], ["address", "holds", "acme"]])
    func aVerbThatOnlyReadsNamesAMistypedStoreAndCreatesNone(arguments: [String]) throws {
        let folder = try TemporaryFolder()
        let mistyped = folder.path("var/courier.sqlite")
        let result = try runCourrier(arguments, environment: ["COURRIER_DATABASE": mistyped], in: folder.url)
        #expect(result.status == 1)
        #expect(result.error.contains("there is no store at \(mistyped)"))
        #expect(!FileManager.default.fileExists(atPath: mistyped))
        #expect(!FileManager.default.fileExists(atPath: folder.path("var")))
    }

    @Test func aConfigurationLineWrittenWrongNeverEchoesItsSecret() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("courrier.conf", "COURRIER_POLL=5s\nCOURRIER_SSH_PASSPHRASE: hunter2-very-secret\n")
        let result = try runCourrier(["config", "--config", file.path], in: folder.url)
        #expect(result.status != 0)
        #expect(result.error.contains("line 2 is not KEY=VALUE (it starts with COURRIER_SSH_PASSPHRASE and has no '=')"))
        #expect(!(result.output + result.error).contains("hunter2"))
    }

    /// Whether this machine lets the tests mount a small filesystem (as root).
    static func canMountSmallFilesystem() -> Bool {
        guard let folder = try? TemporaryFolder() else { return false }
        guard mountTmpfs(at: folder.url) else { return false }
        unmount(folder.url)
        return true
    }

    @discardableResult
    static func mountTmpfs(at folder: URL) -> Bool {
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=1m", "tmpfs", folder.path]
        mount.standardError = FileHandle.nullDevice
        guard (try? mount.run()) != nil else { return false }
        mount.waitUntilExit()
        return mount.terminationStatus == 0
    }

    static func unmount(_ folder: URL) {
        let unmount = Process()
        unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
        unmount.arguments = [folder.path]
        try? unmount.run()
        unmount.waitUntilExit()
    }

    /// A small filesystem of its own for the outbox, filled up before the cut.
    @Test(.enabled(if: canMountSmallFilesystem(), "a full disk needs a small filesystem, and mounting one is not allowed here"))
    func aFullDiskNamesThePathLosesNothingAndTheNextRunFinishes() throws {
        let folder = try TemporaryFolder()
        let outbox = folder.url.appendingPathComponent("outbox")
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        #expect(Self.mountTmpfs(at: outbox))
        defer { Self.unmount(outbox) }
        // All but 8 KiB taken: the bundle's first stream does not fit.
        let filler = outbox.appendingPathComponent("filler")
        FileManager.default.createFile(atPath: filler.path, contents: Data(count: 1024 * 1024 - 8 * 1024))
        let environment = ["COURRIER_DATABASE": folder.path("store.sqlite"), "COURRIER_OUTBOX": outbox.path]
        try runCourrier(["wallet", "credit", "acme", "20", "--reference", "r1"], environment: environment, in: folder.url)
        let documents = try folder.copyFixtureDocuments()
        try runCourrier(["enqueue", documents.appendingPathComponent("acme-invoice-fr.json").path,
                         documents.appendingPathComponent("acme-entretien-fr.json").path], environment: environment, in: folder.url)
        let full = try runCourrier(["run"], environment: environment, in: folder.url)
        #expect(full.status == 1)
        #expect(full.error.contains("could not be written in \(outbox.path)"))
        #expect(full.error.contains("No space left on device"))
        #expect(full.error.contains("\"event\":\"cut.failed\""))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter { !$0.hasPrefix(".") } == ["filler"])

        try FileManager.default.removeItem(at: filler)
        let next = try runCourrier(["run", "--json"], environment: environment, in: folder.url)
        #expect(next.status == 0, "\(next.error)")
        let store = try SQLiteStore(readingPath: folder.path("store.sqlite"))
        defer { store.close() }
        #expect(try store.status(failureLimit: 5).jobs[.bundled] == 2)
        #expect(try store.history(account: "acme").filter { $0.kind == .debit }.count == 2)
        let batch = try #require(try FileManager.default.contentsOfDirectory(atPath: outbox.path).first { !$0.hasPrefix(".") })
        #expect(try sha256sumCheck(outbox.appendingPathComponent(batch)))
    }
}

/// `--database` takes an SQLite path or a `postgres://` URL; another scheme
/// is refused naming it, a password in the URL is refused without being
/// repeated, and nothing is created where it pointed.
@Suite struct DatabaseSettingTests {
    @Test(arguments: [
        ("mysql://localhost/mail", "has the scheme \"mysql://\", which Courrier does not know"),
        ("sqlite://var/courrier.sqlite", "has the scheme \"sqlite://\", which Courrier does not know"),
        ("postgres://courrier:hunter2@db.example:5432/mail", "holds a password; put it in a password file"),
        ("postgresql://db.example/mail?password=hunter2", "holds a password; put it in a password file"),
    ])
    func aURLIsNotTakenForAPath(url: String, reason: String) throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(["status", "--database", url], in: folder.url)
        #expect(result.status == 2)
        #expect(result.error.contains("--database \(reason)"), "\(result.error)")
        #expect(!result.error.contains("hunter2"), "the password is not repeated")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty, "nothing was created")
    }

    @Test func aPostgreSQLServerThatIsNotThereIsNamed() throws {
        let folder = try TemporaryFolder()
        let port = try SSHServer.freePort()
        let result = try runCourrier(["status", "--database", "postgres://courrier@127.0.0.1:\(port)/mail"], in: folder.url)
        #expect(result.status != 0)
        #expect(result.error.contains("cannot connect to postgres://courrier@127.0.0.1:\(port)/mail"), "\(result.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty, "nothing was created")
    }
}
