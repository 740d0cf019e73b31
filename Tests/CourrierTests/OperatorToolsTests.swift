import Foundation
import Testing
@testable import Courrier

/// What operators install beside the binary: the bash completion and the
/// service's configuration, checked as the service's user reads it.
@Suite struct OperatorToolsTests {
    /// Completes `words` (the last one being typed) with the script loaded in bash.
    static func complete(_ words: [String], in folder: URL) throws -> [String] {
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let script = """
            source <("$COURRIER" completion bash)
            COMP_WORDS=(\(quoted)); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
            _courrier 2>/dev/null
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try runTool("/bin/bash", ["-c", script], in: folder,
                                 environment: ["COURRIER": try Paths.courrierBinary.path, "PATH": "/usr/bin:/bin"])
        #expect(result.status == 0, "\(result.error)")
        return result.output.split(separator: "\n").map(String.init).sorted()
    }

    @Test func theCompletionScriptCompletesVerbsOptionsAndFiles() throws {
        let folder = try TemporaryFolder()
        try folder.write("invoice.json", "{}")
        try folder.write("notes.txt", "")
        try FileManager.default.createDirectory(atPath: folder.path("documents"), withIntermediateDirectories: true)
        #expect(try Self.complete(["courrier", "wa"], in: folder.url) == ["wallet"])
        #expect(try Self.complete(["courrier", "wallet", ""], in: folder.url) == ["balance", "credit", "history"])
        #expect(try Self.complete(["courrier", "run", "--log-l"], in: folder.url) == ["--log-level"])
        #expect(try Self.complete(["courrier", "run", "--log-level", ""], in: folder.url) == ["debug", "error", "info", "warning"])
        #expect(try Self.complete(["courrier", "deliver", "--n"], in: folder.url) == ["--now"])
        #expect(try Self.complete(["courrier", "run", "--n"], in: folder.url) == [], "--now is deliver's, not run's")
        #expect(try Self.complete(["courrier", "wallet", "credit", "--re"], in: folder.url) == ["--reference"])
        #expect(try Self.complete(["courrier", "enqueue", ""], in: folder.url) == ["documents", "invoice.json"])
        #expect(try Self.complete(["courrier", "status", "--outbox", "do"], in: folder.url) == ["documents"])
        #expect(try Self.complete(["courrier", "completion", ""], in: folder.url) == ["bash"])
    }

    /// The example configuration, its folders moved under a temporary root,
    /// checked with `courrier config` as an unprivileged user (nobody, as the
    /// service's `courrier` user would be): it passes once the metrics folder
    /// is granted to the user's group as deploy/install-service grants it
    /// (group-writable), and names COURRIER_METRICS before.
    @Test(.enabled(if: geteuid() == 0, "needs root to run as another user"))
    func theExampleConfigurationPassesItsCheckAsTheServiceUser() throws {
        let folder = try TemporaryFolder()
        chmod(folder.url.path, 0o755)
        let root = folder.url.path
        let example = try String(contentsOf: Paths.packageRoot.appendingPathComponent("deploy/systemd/courrier.conf.example"),
                                 encoding: .utf8)
        let configuration = example.replacingOccurrences(of: "/var/lib/", with: "\(root)/var/lib/")
        try folder.write("courrier.conf", configuration)
        chmod(folder.path("courrier.conf"), 0o644)
        // As install-service leaves them: the service's home its own, node_exporter's folder root's.
        let home = "\(root)/var/lib/courrier", metrics = "\(root)/var/lib/prometheus/node-exporter"
        for path in [home, metrics] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        }
        chown(home, 65534, 65534)
        for path in ["\(root)/var", "\(root)/var/lib", "\(root)/var/lib/prometheus"] { chmod(path, 0o755) }
        func check() throws -> ProcessResult {
            try runTool("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                             try Paths.courrierBinary.path, "config", "--config", folder.path("courrier.conf")],
                        in: URL(fileURLWithPath: "/"), environment: ["PATH": "/usr/bin:/bin"])
        }
        let before = try check()
        #expect(before.status != 0)
        #expect(before.error.contains("COURRIER_METRICS"), "\(before.error)")
        // dpkg-statoverride's grant: the service's group, mode 0775.
        chown(metrics, 0, 65534)
        chmod(metrics, 0o775)
        let after = try check()
        #expect(after.status == 0, "\(after.error)")
        #expect(after.output.contains("COURRIER_METRICS"), "\(after.output)")
    }
}
