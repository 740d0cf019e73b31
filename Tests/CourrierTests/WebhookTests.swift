import Foundation
import Testing
@testable import Courrier
import Delivery
import Letters
import Storage

/// The product is told every letter's story: each event posted to its
/// webhook, signed, in order, at least once, by one worker at a time, and
/// never in the way of the mail.
@Suite struct WebhookTests {
    static let secret = Array("whsec-courrier-test-0123456789".utf8)

    /// A mail room that delivers to a folder and posts its events to `url`.
    static func mailRoom(_ folder: TemporaryFolder, backend: Backend = .sqlite, database: String? = nil, url: String,
                         worker: String = Configuration.defaultWorkerID()) throws -> TestMailRoom {
        let secretFile = folder.path("webhook.secret")
        if !FileManager.default.fileExists(atPath: secretFile) {
            try Data(secret + [0x0A]).write(to: URL(fileURLWithPath: secretFile))
            chmod(secretFile, 0o600)
        }
        let drop = folder.url.appendingPathComponent("print-shop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        return try TestMailRoom(folder: folder, backend: backend, database: database) {
            $0.deliverURL = "file://\(drop.path)"
            $0.webhookURL = url
            $0.webhookSecretFile = secretFile
            $0.workerID = worker
        }
    }

    /// Three letters queued, prepared, cut and delivered: fourteen events or so.
    static func mail(_ room: TestMailRoom) throws -> MailRoom.RunReport {
        _ = try room.mailRoom.accounts.credit(account: "acme", cents: 1_000, reference: "acme-1")
        _ = try room.mailRoom.accounts.credit(account: "bakkerij-peeters", cents: 1_000, reference: "peeters-1")
        _ = try room.enqueue(Paths.document("acme-invoice-fr.json"), Paths.document("acme-entretien-fr.json"),
                             Paths.document("peeters-factuur-nl.json"))
        return try room.mailRoom.run()
    }

    /// Sends until the receiver has taken every event of the store, or `seconds` pass.
    static func sendUntilTaken(_ room: TestMailRoom, by receiver: WebhookReceiver, seconds: Double = 20) throws -> [LetterEvent] {
        let events = try room.store.events(after: 0, account: nil, job: nil, limit: 10_000)
        let deadline = Date().addingTimeInterval(seconds)
        while Set(receiver.accepted.map(\.id)) != Set(events.map(\.id)), Date() < deadline {
            usleep(250_000)
            room.mailRoom.notifyProduct()
        }
        return events
    }

    /// Events name customers and amounts: they cross a network only over TLS.
    @Test(arguments: [
        ("https://app.example.be/hooks/courrier", nil),
        ("http://127.0.0.1:8080/hooks", nil),
        ("http://localhost/hooks", nil),
        ("http://app.example.be/hooks", "events go over https://, or over http:// to this machine only"),
        ("https://user:secret@app.example.be/hooks", "holds a user or password"),
        ("ftp://app.example.be/hooks", "has the scheme ftp://"),
        ("app.example.be/hooks", "is not an http:// or https:// URL"),
    ] as [(String, String?)])
    func aWebhookCrossesANetworkOnlyOverTLS(url: String, refusal: String?) throws {
        if let refusal {
            let error = #expect(throws: DeliveryError.self) { try WebhookEndpoint(url: url, secret: Self.secret) }
            #expect(error?.message.contains(refusal) == true, "\(String(describing: error))")
        } else {
            #expect(try WebhookEndpoint(url: url, secret: Self.secret).url == url)
        }
    }

    @Test func aSecretOthersCanReadIsRefused() throws {
        let folder = try TemporaryFolder()
        let file = folder.path("webhook.secret")
        try Data(Self.secret).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o644)
        let error = #expect(throws: DeliveryError.self) {
            try WebhookEndpoint(url: "https://app.example.be/hooks", secretFile: file)
        }
        #expect(error?.message.contains("can be read by others") == true, "\(String(describing: error))")
        chmod(file, 0o600)
        #expect(try WebhookEndpoint(url: "https://app.example.be/hooks", secretFile: file).secret == Self.secret)
    }

    @Test func everyEventArrivesSignedAndInOrderThroughTheReceiversFailures() throws {
        let folder = try TemporaryFolder()
        let receiver = try WebhookReceiver(secret: Self.secret) { request in request < 2 ? 500 : 200 }
        defer { receiver.stop() }
        let room = try Self.mailRoom(folder, url: receiver.url)
        _ = try Self.mail(room)
        let events = try Self.sendUntilTaken(room, by: receiver)
        #expect(events.count >= 12)

        let received = receiver.received
        #expect(received.allSatisfy { $0.signatureChecks }, "a request's signature did not check")
        #expect(received.prefix(2).map(\.status) == [500, 500])
        // The event the receiver refused was tried again, the same, before any other.
        #expect(received.prefix(3).map(\.id) == Array(repeating: events[0].id, count: 3))
        #expect(received.allSatisfy { $0.eventID == $0.id })
        // Every event taken once, in the store's order, so in order for each letter.
        let accepted = receiver.accepted
        #expect(accepted.map(\.id) == events.map(\.id))
        #expect(accepted.map(\.body) == events.map(\.json))
        // Repeated only with the same id and body.
        for request in received {
            #expect(request.body == events.first { $0.id == request.id }?.json)
        }

        // Another process on the same store sends nothing the product already took.
        let restarted = try TestMailRoom(folder: folder, database: room.database) {
            $0.webhookURL = receiver.url
            $0.webhookSecretFile = folder.path("webhook.secret")
        }
        restarted.mailRoom.notifyProduct()
        #expect(receiver.received.count == received.count)
    }

    @Test func aReceiverDownForAWholeRunDelaysNoCutAndGetsTheEventsOnceBack() throws {
        let folder = try TemporaryFolder()
        let port = try WebhookReceiver.closedPort()
        let room = try Self.mailRoom(folder, url: "http://127.0.0.1:\(port)/courrier/events")
        let report = try Self.mail(room)
        #expect(report.bundles.count == 1 && report.delivery?.delivered.count == 1, "\(report)")
        #expect(room.logLines.text.contains("webhook.failed"))
        let state = try #require(try room.store.webhookStates().first)
        #expect(state.attempts == 1 && state.lastError?.contains("failed") == true, "\(state)")
        // Operations see it in the status.
        let status = try room.mailRoom.records.status()
        let shown = Output(json: false).status(status.report, metrics: status.metrics, nextCut: nil, now: Date()).text
        #expect(shown.contains("Webhooks\n  http://127.0.0.1:\(port)/courrier/events  sent through event 0, \(state.waiting) events waiting; failing since"),
                "\(shown)")

        let receiver = try WebhookReceiver(secret: Self.secret, port: port)
        defer { receiver.stop() }
        let events = try Self.sendUntilTaken(room, by: receiver)
        #expect(receiver.accepted.map(\.id) == events.map(\.id))
        #expect(try room.store.webhookStates().first?.waiting == 0)
    }

    @Test func anEventOlderThanTheGiveUpIsAbandonedAndTheNextGoes() throws {
        let folder = try TemporaryFolder()
        let port = try WebhookReceiver.closedPort()
        let room = try Self.mailRoom(folder, url: "http://127.0.0.1:\(port)/courrier/events")
        _ = try Self.mail(room)
        let old = try room.store.events(after: 0, account: nil, job: nil, limit: 1_000)
        // A day later, the receiver is still away: what waited a day is given up.
        let sender = Notifying(store: room.store, endpoint: try #require(try room.mailRoom.configuration.webhookEndpoint()),
                               claimant: room.mailRoom.claimant, giveUp: 86_400, log: room.mailRoom.log,
                               clock: { Date().addingTimeInterval(86_401) })
        let report = try sender.sendPending()
        #expect(report.abandoned == old.count && report.sent == 0, "\(report)")
        #expect(room.logLines.text.contains("webhook.abandoned"))
        #expect(try room.store.webhookStates().first?.abandoned == old.count)
        let metrics = MetricsText.render(try room.store.metrics(), worker: "w", now: Date(), scheduledCut: nil)
        #expect(metrics.contains("courrier_webhook_events_abandoned_total \(old.count)"), "\(metrics)")
    }

    @Test func twoWorkersOnPostgresSendEachEventOnce() throws {
        let folder = try TemporaryFolder()
        let receiver = try WebhookReceiver(secret: Self.secret)
        defer { receiver.stop() }
        let first = try Self.mailRoom(folder, backend: .postgres, url: receiver.url, worker: "mail-1")
        _ = try Self.mail(first)
        let second = try Self.mailRoom(folder, database: first.database, url: receiver.url, worker: "mail-2")
        let events = try first.store.events(after: 0, account: nil, job: nil, limit: 10_000)
        let rooms = MailRooms(rooms: [first, second])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            for _ in 0..<20 {
                rooms.rooms[index].mailRoom.notifyProduct()
                usleep(20_000)
            }
        }
        #expect(receiver.received.map(\.id) == events.map(\.id), "an event was sent twice, or missed")
    }
}

/// Two workers' mail rooms, handed to two threads.
private struct MailRooms: @unchecked Sendable {
    // @unchecked Sendable: each thread uses only its own mail room, at its index.
    let rooms: [TestMailRoom]
}
