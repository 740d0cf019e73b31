import Foundation
import Testing
import Letters

/// Workers on one dedicated PostgreSQL, as an operator runs several: each
/// with its own outbox and worker id, all handing bundles to one `file://`
/// drop, with accounts whose wallets pay for a given number of letters.
final class WorkerFleet {
    let server: PostgresServer
    let folder: TemporaryFolder
    let url: String
    let drop: URL
    private let shared: [String: String]

    /// `settings` are added to those every process of the fleet shares.
    init(settings: [String: String]) throws {
        server = try PostgresServer.dedicated()
        folder = try TemporaryFolder()
        _ = try folder.copyFixtureDocuments()
        url = try server.makeDatabase()
        drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        shared = ["COURRIER_DATABASE": url, "COURRIER_DELIVER": "file://\(drop.path)", "COURRIER_DELIVERY_RETRY": "0s",
                  "COURRIER_POLL": "1s", "COURRIER_LOG_LEVEL": "info"].merging(settings) { $1 }
    }

    func stop() { server.stop() }

    /// The settings of the process named `name`: its own outbox and worker id.
    func environment(_ name: String) -> [String: String] {
        shared.merging(["COURRIER_OUTBOX": folder.path("outbox-\(name)"), "COURRIER_WORKER_ID": name]) { $1 }
    }

    /// Credits each account enough for `letters` one-page letters at 1.45 EUR.
    func fund(_ accounts: [(account: String, letters: Int)]) throws {
        for (account, letters) in accounts where letters > 0 {
            let credit = try runCourrier(["wallet", "credit", account, Cents.decimalString(Int64(letters) * 145),
                                          "--reference", "top-up-\(account)"], environment: environment("setup"), in: folder.url)
            #expect(credit.status == 0, "\(credit.error)")
        }
    }

    /// Writes `perAccount` one-page documents for each account, ids naming the wave; their paths.
    func wave(_ number: Int, accounts: [String], perAccount: Int) throws -> [String] {
        try accounts.flatMap { account in
            try (0..<perAccount).map { index in
                try folder.write("documents/\(account)-\(number)-\(index).json", try fixtureDocument("acme-entretien-fr.json") {
                    $0["account"] = account
                    $0["id"] = "\(account)-\(number)-\(index)"
                }).path
            }
        }
    }

    func startWorkers(_ names: [String]) throws -> [CourrierProcess] {
        try names.map { try CourrierProcess(environment: environment($0), in: folder.url) }
    }

    /// The ids of the letters in the drop's bundles, each bundle checked as the print shop would.
    func lettersInDrop() throws -> [Int64] {
        try deliveredManifests(in: drop).flatMap { $0.letters.map(\.job) }
    }
}
