import Foundation
import Testing
@testable import Courrier
@testable import Delivery
@testable import Storage

private func settings(_ server: SSHServer, root: String? = nil, key: String? = nil, passphrase: String? = nil,
                      knownHosts: String? = nil) throws -> DeliverySettings {
    DeliverySettings(destination: try Destination(url: server.destination(root)), sshKey: key ?? server.ed25519Key,
                     passphrase: passphrase.map(Secret.init), knownHosts: knownHosts ?? server.knownHosts)
}

private func deliveryError(_ work: () throws -> Void) -> DeliveryError? {
    do {
        try work()
    } catch let error as DeliveryError {
        return error
    } catch {
        Issue.record("expected a DeliveryError, got \(error)")
    }
    return nil
}

@Suite struct DestinationTests {
    @Test func readsSFTPAndFolderURLs() throws {
        #expect(try Destination(url: "sftp://printer@print.example.be/incoming")
                == .sftp(SFTPAddress(user: "printer", host: "print.example.be", port: 22, path: "/incoming")))
        #expect(try Destination(url: "sftp://printer@10.0.0.7:2222/srv/drop/")
                == .sftp(SFTPAddress(user: "printer", host: "10.0.0.7", port: 2222, path: "/srv/drop")))
        #expect(try Destination(url: "sftp://printer@print.example.be/~/incoming")
                == .sftp(SFTPAddress(user: "printer", host: "print.example.be", port: 22, path: "incoming")))
        #expect(try Destination(url: "file:///mnt/printshop/in") == .folder(path: "/mnt/printshop/in"))
    }

    @Test(arguments: [
        ("sftp://printer:hunter2@print.example.be/in", "password"),
        ("sftp://print.example.be/in", "names no user"),
        ("sftp://printer@print.example.be", "names no folder"),
        ("ftp://printer@print.example.be/in", "scheme ftp"),
        ("file://nas/share", "names host nas"),
        ("not a url", "not a URL"),
    ])
    func refusesWhatCannotBeADestination(url: String, expected: String) {
        let error = deliveryError { _ = try Destination(url: url) }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("hunter2") == false)
    }
}

@Suite struct SFTPDeliveryTests {
    @Test(arguments: ["ed25519", "rsa", "encrypted"])
    func aBundleArrivesWholeWithItsTriggerLast(keyKind: String) throws {
        let server = try SSHServer()
        let (_, bundle, batch) = try roomWithBundle(in: server.folder)
        let key = switch keyKind {
        case "rsa": server.rsaKey
        case "encrypted": server.encryptedKey
        default: server.ed25519Key
        }
        let drop = RecordingDrop(try settings(server, key: key,
                                              passphrase: keyKind == "encrypted" ? server.passphrase : nil).openDrop())
        defer { drop.close() }
        let receipt = try BundleDrop(root: server.drop.path).deliver(bundle: bundle, batch: batch, to: drop)

        let remote = server.drop.appendingPathComponent(batch)
        #expect(receipt.folder == remote.path)
        #expect(fileNames(remote) == ["READY", "SHA256SUMS", "letters.pdf", "manifest.csv", "manifest.json"])
        for name in ["letters.pdf", "manifest.csv", "manifest.json", "SHA256SUMS"] {
            #expect(try Data(contentsOf: remote.appendingPathComponent(name))
                    == Data(contentsOf: bundle.appendingPathComponent(name)), "\(name) differs")
        }
        #expect(try sha256sumCheck(remote))
        // Every byte went to a temporary name; final names appear by rename
        // only, and the trigger's rename is the last thing done.
        for operation in drop.operations {
            switch operation {
            case .upload(let path, _), .write(let path):
                #expect((path as NSString).lastPathComponent.hasSuffix(".partial"), "\(path) written under its final name")
            case .rename(let from, let to):
                #expect(from == (to as NSString).deletingLastPathComponent + "/." + (to as NSString).lastPathComponent + ".partial")
            case .makeFolder, .remove:
                break
            }
        }
        #expect(drop.operations.last == .rename(remote.path + "/.READY.partial", remote.path + "/READY"))
    }

    @Test func anUnknownHostKeyIsRefusedAndNothingIsUploaded() throws {
        let server = try SSHServer()
        let error = deliveryError {
            let drop = try settings(server, knownHosts: try server.knownHostsWithoutThisServer()).openDrop()
            drop.close()
        }
        #expect(error?.code == .hostKeyUnknown)
        #expect(error?.message.contains("127.0.0.1:\(server.port)") == true)
        #expect(error?.message.contains("SHA256:") == true, "the message shows the fingerprint to check")
        #expect(fileNames(server.drop).isEmpty)
    }

    @Test func aChangedHostKeyIsRefusedAndNothingIsUploaded() throws {
        let server = try SSHServer()
        let (_, bundle, batch) = try roomWithBundle(in: server.folder)
        let error = deliveryError {
            let drop = try settings(server, knownHosts: try server.knownHostsWithAnotherKey()).openDrop()
            defer { drop.close() }
            _ = try BundleDrop(root: server.drop.path).deliver(bundle: bundle, batch: batch, to: drop)
        }
        #expect(error?.code == .hostKeyChanged)
        #expect(error?.message.contains("has changed") == true)
        #expect(fileNames(server.drop).isEmpty)
    }

    @Test func aFolderWithoutWritePermissionIsReported() throws {
        let server = try SSHServer()
        let (_, bundle, batch) = try roomWithBundle(in: server.folder)
        let readOnly = try server.makeFolder("read-only", mode: 0o555)
        let error = deliveryError {
            let drop = try settings(server, root: readOnly.path).openDrop()
            defer { drop.close() }
            _ = try BundleDrop(root: readOnly.path).deliver(bundle: bundle, batch: batch, to: drop)
        }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.contains(readOnly.appendingPathComponent(batch).path) == true, "\(error?.message ?? "")")
        #expect(fileNames(readOnly).isEmpty)
    }

    @Test func aMissingDropFolderIsReported() throws {
        let server = try SSHServer()
        let (_, bundle, batch) = try roomWithBundle(in: server.folder)
        let missing = server.folder.url.appendingPathComponent("no-such-drop").path
        let error = deliveryError {
            let drop = try settings(server, root: missing).openDrop()
            defer { drop.close() }
            _ = try BundleDrop(root: missing).deliver(bundle: bundle, batch: batch, to: drop)
        }
        #expect(error?.code == .missingFolder)
        #expect(error?.message.contains(missing) == true)
    }

    @Test func keysAndPassphrasesStaySecret() throws {
        let server = try SSHServer()
        let wrong = "not the passphrase at all"
        let wrongPassphrase = deliveryError {
            try settings(server, key: server.encryptedKey, passphrase: wrong).openDrop().close()
        }
        #expect(wrongPassphrase?.code == .key)
        #expect(wrongPassphrase?.message.contains(wrong) == false)
        let noPassphrase = deliveryError { try settings(server, key: server.encryptedKey).openDrop().close() }
        #expect(noPassphrase?.code == .key)
        #expect(noPassphrase?.message.contains("COURRIER_SSH_PASSPHRASE") == true)

        chmod(server.ed25519Key, 0o644)
        let shared = deliveryError { try settings(server).openDrop().close() }
        #expect(shared?.code == .key)
        #expect(shared?.message.contains("chmod 600 \(server.ed25519Key)") == true)
        let key = try String(contentsOfFile: server.ed25519Key, encoding: .utf8)
        #expect(shared?.message.contains(key) == false)
        #expect("\(Secret(server.passphrase))".contains(server.passphrase) == false)
    }

    @Test func sshdKilledMidUploadThenTheNextAttemptCompletes() throws {
        let server = try SSHServer()
        // A bundle large enough to be caught in the middle of its upload.
        let bundle = server.folder.url.appendingPathComponent("outbox/big-0001", isDirectory: true)
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        var pdf = Data()
        for _ in 0..<96 { pdf.append(try random.read(upToCount: 1 << 20) ?? Data()) }
        try pdf.write(to: bundle.appendingPathComponent("letters.pdf"))
        try Data("{}\n".utf8).write(to: bundle.appendingPathComponent("manifest.json"))
        let settings = try settings(server)
        let rules = BundleDrop(root: server.drop.path)

        let partial = server.drop.appendingPathComponent("big-0001/.letters.pdf.partial")
        let first = BackgroundWork {
            let drop = try settings.openDrop()
            defer { drop.close() }
            return try rules.deliver(bundle: bundle, batch: "big-0001", to: drop)
        }
        let deadline = Date().addingTimeInterval(30)
        while ((try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int) ?? 0) < 4 << 20,
              Date() < deadline {
            usleep(2_000)
        }
        server.stop()
        guard case .failure(let error) = first.wait() else {
            Issue.record("the upload finished before sshd was killed")
            return
        }
        #expect((error as? DeliveryError)?.code == .connection, "\(error)")
        let remote = server.drop.appendingPathComponent("big-0001")
        #expect(!fileNames(remote).contains("letters.pdf"), "no partial file under its final name")
        #expect(!fileNames(remote).contains("READY"))
        let kept = try #require(try FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int)

        try server.start()
        let drop = try settings.openDrop()
        defer { drop.close() }
        let receipt = try rules.deliver(bundle: bundle, batch: "big-0001", to: drop)
        #expect(receipt.bytesKept >= Int64(kept) && kept > 0, "the second attempt resumes where the first stopped")
        #expect(receipt.bytesSent + receipt.bytesKept == Int64(pdf.count) + 3)
        #expect(fileNames(remote) == ["READY", "letters.pdf", "manifest.json"])
        #expect(try Data(contentsOf: remote.appendingPathComponent("letters.pdf")) == pdf)
    }

    @Test func theSameBundleDeliveredTwiceIsUploadedOnce() throws {
        let server = try SSHServer()
        let (_, bundle, batch) = try roomWithBundle(in: server.folder)
        let rules = BundleDrop(root: server.drop.path)
        let drop = RecordingDrop(try settings(server).openDrop())
        defer { drop.close() }
        let first = try rules.deliver(bundle: bundle, batch: batch, to: drop)
        let uploads = drop.operations.count
        let second = try rules.deliver(bundle: bundle, batch: batch, to: drop)
        #expect(first.filesSent == 4 && !first.alreadyDelivered)
        #expect(second.alreadyDelivered && second.filesSent == 0 && second.bytesSent == 0)
        #expect(drop.operations.count == uploads, "the second delivery wrote nothing")
    }
}

@Suite struct DeliveryPipelineTests {
    @Test func aDropThatIsDownLeavesTheBundlePendingUntilItIsBack() throws {
        let server = try SSHServer()
        server.stop()
        let (room, _, batch) = try roomWithBundle(in: server.folder) { configuration in
            configuration.deliverURL = server.destination()
            configuration.sshKey = server.ed25519Key
            configuration.knownHosts = server.knownHosts
            configuration.deliveryRetry = 600
        }
        let failed = try room.mailRoom.deliver(ignoringBackoff: false)
        #expect(failed.failed.map(\.batch) == [batch])
        #expect(failed.failed.first?.error.code == .connection)
        let pending = try #require(try room.store.status(failureLimit: 10).deliveries.first)
        #expect(pending.batch == batch && pending.attempts == 1)
        #expect(pending.lastError?.contains("cannot connect to 127.0.0.1:\(server.port)") == true)

        // The wait after a failure is kept: nothing is tried before it is over.
        try server.start()
        let waiting = try room.mailRoom.deliver(ignoringBackoff: false)
        #expect(waiting.waiting.map(\.batch) == [batch] && waiting.delivered.isEmpty)

        let delivered = try room.mailRoom.deliver(ignoringBackoff: true)
        #expect(delivered.delivered.map(\.batch) == [batch])
        #expect(fileNames(server.drop.appendingPathComponent(batch)).contains("READY"))
        let status = try room.store.status(failureLimit: 10)
        #expect(status.deliveries.isEmpty)
        #expect(status.jobs[.delivered] == 2 && status.jobs[.bundled] == nil)
        #expect(status.bundles.first?.state == "delivered")

        let again = try room.mailRoom.deliver(ignoringBackoff: true)
        #expect(again.delivered.isEmpty && again.failed.isEmpty, "a delivered bundle is not sent again")

        let events = room.logLines.events.filter { ($0["event"] as? String)?.hasPrefix("delivery.") == true }
        let attempts = events.filter { $0["event"] as? String == "delivery.started" }.compactMap { $0["attempt"] as? Int }
        #expect(attempts == [1, 2])
        #expect(events.contains { $0["event"] as? String == "delivery.failed" && $0["attempt"] as? Int == 1 })
        #expect(events.contains { $0["event"] as? String == "delivery.delivered" && $0["attempt"] as? Int == 2 })
    }

    @Test func oneBundleIsDeliveredByOneProcessAtATime() throws {
        let (room, _, batch) = try roomWithBundle()
        let now = Date()
        #expect(try room.store.claimDelivery(batch: batch, worker: "host-a:1", lease: 600, at: now) == 1)
        #expect(try room.store.claimDelivery(batch: batch, worker: "host-b:2", lease: 600, at: now) == nil)
        // A claim whose lease ran out (its worker died on another machine) is taken over.
        #expect(try room.store.claimDelivery(batch: batch, worker: "host-b:2", lease: 600,
                                             at: now.addingTimeInterval(601)) == 2)
        try room.store.recordDelivered(batch: batch, destination: "file:///share", at: now)
        #expect(try room.store.claimDelivery(batch: batch, worker: "host-c:3", lease: 600,
                                             at: now.addingTimeInterval(7200)) == nil)
    }

    /// A store written by the first Courrier (schema 1: no deliveries, no
    /// logos, no account settings) is upgraded when opened, and keeps its data.
    @Test func aStoreOfTheFirstSchemaIsUpgradedInPlace() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("courrier.sqlite")
        try SQLiteStore(path: path, schemaVersion: 1).close()
        let old = try SQLiteConnection(path: path)
        try old.execute("""
            INSERT INTO bundles (batch, state, letters, pages, sheets, amount_cents, path, created_at, completed_at)
            VALUES ('20261128-100000', 'cut', 1, 2, 1, 155, '/outbox/20261128-100000',
                    '2026-11-28T10:00:00Z', '2026-11-28T10:00:01Z');
            INSERT INTO jobs (account, document_id, state, document, document_hash, pages, price_cents, batch,
                              created_at, updated_at)
            VALUES ('acme', 'INV-1', 'bundled', X'7B7D', 'hash', 2, 155, '20261128-100000',
                    '2026-11-28T09:00:00Z', '2026-11-28T10:00:01Z');
            """)
        old.close()
        let store = try SQLiteStore(path: path)
        defer { store.close() }
        #expect(try store.undeliveredBundles().map(\.batch) == ["20261128-100000"])
        #expect(try store.status(failureLimit: 1).jobs[.bundled] == 1, "the jobs are kept")
        #expect(try store.job(1)?.logoHash == nil)
        try store.setEnvelopeWindow(.left, account: "acme", at: Date())
        #expect(try store.envelopeWindow(account: "acme") == .left)
    }

    @Test func deliverWithoutADestinationSaysHowToGiveOne() throws {
        let folder = try TemporaryFolder()
        let result = try runCourrier(["deliver"], environment: ["COURRIER_DATABASE": folder.path("courrier.sqlite")],
                                     in: folder.url)
        #expect(result.status == 1)
        #expect(result.error.contains("no destination to deliver to: give --deliver"))
    }

    @Test func aMountedFolderFollowsTheSameRules() throws {
        let share = try TemporaryFolder()
        let (room, bundle, batch) = try roomWithBundle { $0.deliverURL = "file://\(share.url.path)" }
        let report = try room.mailRoom.deliver(ignoringBackoff: false)
        #expect(report.delivered.map(\.batch) == [batch])
        let remote = share.url.appendingPathComponent(batch)
        #expect(fileNames(remote) == ["READY", "SHA256SUMS", "letters.pdf", "manifest.csv", "manifest.json"])
        #expect(try sha256sumCheck(remote))
        #expect(try Data(contentsOf: remote.appendingPathComponent("letters.pdf"))
                == Data(contentsOf: bundle.appendingPathComponent("letters.pdf")))

        // A crash after the trigger was written and before the store heard of it.
        let other = try TemporaryFolder()
        try FileManager.default.createDirectory(at: other.url.appendingPathComponent(batch), withIntermediateDirectories: true)
        let drop = FolderDrop(root: other.url.path)
        _ = try BundleDrop(root: other.url.path).deliver(bundle: bundle, batch: batch, to: drop)
        let repeated = try BundleDrop(root: other.url.path).deliver(bundle: bundle, batch: batch, to: drop)
        #expect(repeated.alreadyDelivered && repeated.bytesSent == 0)
    }

    @Test func runDeliversRightAfterItCutsAndTheCommandLineSaysWhatFailed() throws {
        let server = try SSHServer()
        let folder = try TemporaryFolder()
        let documents = try folder.copyFixtureDocuments()
        let environment = [
            "COURRIER_DATABASE": folder.path("courrier.sqlite"), "COURRIER_OUTBOX": folder.path("outbox"),
            "COURRIER_DELIVER": server.destination(), "COURRIER_SSH_KEY": server.encryptedKey,
            "COURRIER_KNOWN_HOSTS": server.knownHosts, "COURRIER_SSH_PASSPHRASE": server.passphrase,
        ]
        try runCourrier(["wallet", "credit", "acme", "10.00", "--reference", "t1"], environment: environment, in: folder.url)
        try runCourrier(["enqueue", documents.appendingPathComponent("acme-invoice-fr.json").path],
                        environment: environment, in: folder.url)
        server.stop()
        let down = try runCourrier(["run"], environment: environment, in: folder.url)
        #expect(down.status == 1)
        #expect(down.error.hasSuffix("it stays pending and is tried again\n"), "\(down.error)")
        #expect(down.output.contains("Bundle "))
        let status = try runCourrier(["status"], environment: environment, in: folder.url)
        #expect(status.output.contains("failed  attempt 1"), "\(status.output)")
        #expect(status.output.contains("cannot connect to 127.0.0.1:\(server.port)"))

        try server.start()
        let waiting = try runCourrier(["deliver"], environment: environment, in: folder.url)
        #expect(waiting.status == 0)
        #expect(waiting.output.contains("courrier deliver --now tries it now"), "\(waiting.output)")
        let up = try runCourrier(["deliver", "--now", "--json"], environment: environment, in: folder.url)
        #expect(up.status == 0, "\(up.error)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(up.output.utf8)) as? [String: Any])
        #expect((answer["delivered"] as? [[String: Any]])?.count == 1)
        let nothing = try runCourrier(["deliver"], environment: environment, in: folder.url)
        #expect(nothing.output == "Nothing to deliver: every bundle has been handed over.\n")
        for output in [down, status, waiting, up, nothing] {
            #expect(!output.error.contains(server.passphrase) && !output.output.contains(server.passphrase))
        }
    }
}
