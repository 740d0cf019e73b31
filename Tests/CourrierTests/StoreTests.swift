import Foundation
import Testing
@testable import Courrier
@testable import Storage
import Letters

/// The store's guarantees, held by the database itself, on both backends:
/// what several workers sharing one store rely on.
@Suite struct StoreTests {
    /// A store of its own for one test, and the means to open more connections to it.
    final class TestStore {
        let folder: TemporaryFolder
        let location: String
        let store: LetterStore

        init(_ backend: Backend) throws {
            folder = try TemporaryFolder()
            location = try backend.makeLocation(in: folder)
            store = try StoreLocation.open(location)
        }

        deinit { store.close() }

        /// Another connection, as another worker has.
        func connect() throws -> LetterStore { try StoreLocation.open(location) }

        /// Queues `count` documents of `account`, each 1.45 EUR.
        @discardableResult
        func enqueue(_ count: Int, account: String = "acme") throws -> [Int64] {
            try (0..<count).map { index in
                try store.enqueue(Submission(account: account, documentID: "DOC-\(index)", document: Array("{}".utf8)),
                                  at: Date()).job.id
            }
        }

        /// Runs SQL as an application with the store's credentials would, past Courrier's code.
        func execute(_ sql: String) throws {
            switch store {
            case let sqlite as SQLiteStore: try sqlite.connection.execute(sql)
            case let postgres as PostgresStore: try postgres.connection.execute(sql)
            default: throw TestFailure("unknown store")
            }
        }
    }

    static let placement = PrintPlacement(stream: PrintStream(name: "color-simplex-c56")!, sheets: 1, sortKey: "0 BE 1000")

    /// A letter in hand at a death, then failed and corrected: it comes back
    /// with no attempts, as any new letter, on both stores.
    /// A state this build does not know (a newer Courrier wrote it) stops
    /// the read with a reason, rather than passing for another state.
    @Test func anUnknownJobStateIsAnErrorNotAnotherState() throws {
        #expect(try JobState.stored("awaiting_funds") == .awaitingFunds)
        let error = #expect(throws: StoreError.self) { try JobState.stored("posted") }
        #expect(error?.message.contains("\"posted\", which this build of Courrier does not know") == true)
        #expect(error?.code == .unknownValue)
    }

    @Test(arguments: Backend.allCases)
    func queueingAgainAfterAFailureStartsTheAttemptsAfresh(backend: Backend) throws {
        let test = try TestStore(backend)
        let job = try #require(try test.enqueue(1).first)
        let claimed = try test.store.claimQueued(limit: 1, worker: "host-a:1:aaaa:a", lease: 300, at: Date())
        #expect(claimed.first?.attempts == 0)
        #expect(try test.store.startPreparing(job: job, worker: "host-a:1:aaaa:a", finished: nil))
        _ = try test.store.settle([.fail(job: job, reason: "the address does not fit", code: .addressDoesNotFit)],
                                  worker: "host-a:1:aaaa:a", at: Date())
        let again = try test.store.enqueue(Submission(account: "acme", documentID: "DOC-0", document: Array("{ }".utf8)), at: Date())
        #expect(again.created && again.job.id == job && again.job.state == .queued)
        let reclaimed = try test.store.claimQueued(limit: 1, worker: "host-b:1:bbbb:b", lease: 300, at: Date())
        #expect(reclaimed.first?.attempts == 0, "a corrected letter is not suspected of an earlier death")
    }

    @Test(arguments: Backend.allCases)
    func aWorkerThatLostItsClaimChargesNothing(backend: Backend) throws {
        let test = try TestStore(backend)
        _ = try test.store.credit(account: "acme", cents: 1000, reference: "top-up", at: Date())
        let job = try #require(try test.enqueue(1).first)
        let start = Date()
        // A's lease runs out (SQLite counts it from the time given, PostgreSQL on its own clock)…
        let first = try test.store.claimQueued(limit: 1, worker: "host-a:1:aaaa:a", lease: 0, at: start)
        #expect(first.map(\.job.id) == [job])
        let other = try test.connect()
        defer { other.close() }
        // …and B takes the letter over.
        let second = try other.claimQueued(limit: 1, worker: "host-b:1:bbbb:b", lease: 300, at: start.addingTimeInterval(10))
        #expect(second.map(\.job.id) == [job])
        let late = try test.store.settle([.charge(job: job, pages: 1, priceCents: 145, placement: Self.placement)],
                                         worker: "host-a:1:aaaa:a", at: Date())
        #expect(late == [.skipped(.queued)])
        let onTime = try other.settle([.charge(job: job, pages: 1, priceCents: 145, placement: Self.placement)],
                                      worker: "host-b:1:bbbb:b", at: Date())
        #expect(onTime == [.prepared(balanceAfterCents: 855)])
        #expect(try test.store.history(account: "acme").filter { $0.kind == .debit }.count == 1)
        #expect(try test.store.balance(account: "acme") == 855)
    }

    @Test(arguments: Backend.allCases)
    func theLedgerIsOnlyAppendedToAndNoBalanceGoesBelowZero(backend: Backend) throws {
        let test = try TestStore(backend)
        _ = try test.store.credit(account: "acme", cents: 145, reference: "top-up", at: Date())
        let jobs = try test.enqueue(2)
        let claimed = try test.store.claimQueued(limit: 2, worker: "w", lease: 300, at: Date())
        #expect(claimed.count == 2)
        let outcomes = try test.store.settle(jobs.map { .charge(job: $0, pages: 1, priceCents: 145, placement: Self.placement) },
                                             worker: "w", at: Date())
        #expect(outcomes == [.prepared(balanceAfterCents: 0), .awaitingFunds(balanceCents: 0)])
        // Past Courrier's code, the database itself refuses.
        #expect(throws: (any Error).self) { try test.execute("UPDATE ledger SET amount_cents = 1") }
        #expect(throws: (any Error).self) { try test.execute("DELETE FROM ledger") }
        #expect(throws: (any Error).self) { try test.execute("UPDATE wallets SET balance_cents = -1") }
        #expect(throws: (any Error).self) {
            try test.execute("INSERT INTO ledger (account, kind, amount_cents, job, created_at) VALUES ('acme', 'debit', -145, \(jobs[0]), '2026-12-01T00:00:00Z')")
        }
        if backend == .postgres {
            #expect(throws: (any Error).self) { try test.execute("TRUNCATE ledger CASCADE") }
        }
        #expect(try test.store.history(account: "acme").map(\.amountCents) == [145, -145])
        #expect(try test.store.balance(account: "acme") == 0)
    }

    @Test(arguments: Backend.allCases)
    func aTopUpMadeTwiceAtOnceIsRecordedOnce(backend: Backend) throws {
        let test = try TestStore(backend)
        let outcomes = Outcomes<CreditOutcome>()
        let location = test.location
        // Each thread a worker with its connection of its own.
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            outcomes.add(Result {
                let store = try StoreLocation.open(location)
                defer { store.close() }
                return try store.credit(account: "acme", cents: 2000, reference: "SEPA-1", at: Date())
            })
        }
        let results = try outcomes.all.map { try $0.get() }
        #expect(results.filter { if case .credited = $0 { return true } else { return false } }.count == 1)
        #expect(try test.store.balance(account: "acme") == 2000)
        #expect(try test.store.history(account: "acme").count == 1)
    }

    @Test(arguments: Backend.allCases)
    func workersClaimingAtOnceNeverShareALetter(backend: Backend) throws {
        let test = try TestStore(backend)
        try test.enqueue(64)
        let outcomes = Outcomes<[Int64]>()
        let location = test.location
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            outcomes.add(Result {
                let store = try StoreLocation.open(location)
                defer { store.close() }
                var mine: [Int64] = []
                while case let claimed = try store.claimQueued(limit: 4, worker: "worker-\(index)", lease: 300, at: Date()),
                      !claimed.isEmpty {
                    mine += claimed.map(\.job.id)
                }
                return mine
            })
        }
        let claimed = try outcomes.all.flatMap { try $0.get() }
        #expect(claimed.count == 64)
        #expect(Set(claimed).count == 64, "no letter was claimed twice")
    }

    @Test(arguments: Backend.allCases)
    func aSlotIsCutOnceAndOneCutRunsAtATime(backend: Backend) throws {
        let test = try TestStore(backend)
        _ = try test.store.credit(account: "acme", cents: 1000, reference: "top-up", at: Date())
        let jobs = try test.enqueue(2)
        _ = try test.store.claimQueued(limit: 2, worker: "w", lease: 300, at: Date())
        _ = try test.store.settle([.charge(job: jobs[0], pages: 1, priceCents: 145, placement: Self.placement)],
                                  worker: "w", at: Date())
        let other = try test.connect()
        defer { other.close() }
        let opened = try test.store.openCut(batchPrefix: "B", worker: "a", lease: 300, slot: "2026-12-01T09:00:00Z", at: Date())
        #expect(opened.cut?.letters == 1)
        _ = try test.store.settle([.charge(job: jobs[1], pages: 1, priceCents: 145, placement: Self.placement)],
                                  worker: "w", at: Date())
        #expect(try other.openCut(batchPrefix: "B", worker: "b", lease: 300, slot: nil, at: Date()) == .busy)
        #expect(try other.cutInProgress(at: Date())?.worker == "a")
        #expect(try other.completeCut("B-0001", worker: "b", summary: BundleSummary(
            path: "/elsewhere", letters: 1, pages: 1, sheets: 1, amountCents: 145), at: Date()) == false,
                "a worker that does not hold the cut records nothing")
        #expect(try test.store.completeCut("B-0001", worker: "a", summary: BundleSummary(
            path: "/outbox/B-0001", letters: 1, pages: 1, sheets: 1, amountCents: 145, checksums: "sums"), at: Date()))
        #expect(try other.openCut(batchPrefix: "B", worker: "b", lease: 300, slot: "2026-12-01T09:00:00Z", at: Date())
                == .slotAlreadyCut)
        #expect(try other.openCut(batchPrefix: "B", worker: "b", lease: 300, slot: "2026-12-01T10:00:00Z", at: Date()).cut?.letters == 1)
        #expect(try test.store.undeliveredBundles().first?.checksums == "sums")
    }

    @Test(arguments: Backend.allCases)
    func purgeForgetsDocumentsAndKeepsTheLedger(backend: Backend) throws {
        let test = try TestStore(backend)
        _ = try test.store.credit(account: "acme", cents: 1000, reference: "top-up", at: Date())
        let job = try test.store.enqueue(Submission(account: "acme", documentID: "SECRET", document: Array(#"{"name":"Gérard"}"#.utf8),
                                                    terms: Array("%PDF terms".utf8)), at: Date()).job.id
        _ = try test.store.claimQueued(limit: 1, worker: "w", lease: 300, at: Date())
        _ = try test.store.settle([.fail(job: job, reason: "recipient.postal_code is missing", code: .invalidDocument)],
                                  worker: "w", at: Date())
        let ledger = try test.store.history(account: "acme")
        let terms = try #require(try test.store.job(job)?.termsHash)
        #expect(try test.store.attachment(hash: terms) != nil)
        // Everything that ended before a minute from now.
        let report = try test.store.purge(before: Date().addingTimeInterval(60), at: Date())
        #expect(report.jobs == 1 && report.attachments == 1)
        #expect(try test.store.job(job)?.reason == "purged (invalid_document)")
        #expect(try test.store.attachment(hash: terms) == nil, "the terms are gone")
        #expect(try test.store.job(job)?.termsHash == nil)
        #expect(try test.store.history(account: "acme") == ledger)
        #expect(try test.store.purge(before: Date().addingTimeInterval(60), at: Date()).jobs == 0, "once")
    }

    /// Leases written as seconds since 1970 by an earlier Courrier still hold
    /// after the upgrade that writes every time as text.
    @Test func leasesOfAnEarlierSchemaHoldAfterTheUpgrade() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("courrier.sqlite")
        let old = try SQLiteStore(path: path, schemaVersion: 7)
        defer { old.close() }
        // Queued and claimed until 2100 by a worker of the earlier version, as it wrote them.
        try old.connection.execute("""
            INSERT INTO jobs (account, document_id, state, document, document_hash, created_at, updated_at,
                              claimed_by, claimed_until)
            VALUES ('acme', 'OLD', 'queued', X'7b7d', 'old', '2026-12-01T10:00:00Z', '2026-12-01T10:00:00Z',
                    'old-host:1', 4102444800)
            """)
        old.close()
        let store = try SQLiteStore(path: path)
        defer { store.close() }
        #expect(try store.claimQueued(limit: 1, worker: "new", lease: 300, at: Date()).isEmpty, "still held")
        #expect(try store.claimQueued(limit: 1, worker: "new", lease: 300,
                                      at: UTCTimestamp.date("2100-01-01T00:00:01Z")!).count == 1, "and free after it")
    }

    @Test func workersStartingTogetherMigrateThePostgreSQLSchemaOnce() throws {
        let url = try PostgresServer.shared.get().makeDatabase()
        let outcomes = Outcomes<Void>()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            outcomes.add(Result { try PostgresStore(url: url).close() })
        }
        for outcome in outcomes.all { try outcome.get() }
        let versions = try PostgresServer.shared.get().psql(url: url, "SELECT string_agg(version::text, ',' ORDER BY version) FROM courrier.schema_migrations")
        #expect(versions == (1...PostgresStore.schemaVersion).map(String.init).joined(separator: ","))
    }

    @Test func anIdleWorkerHearsOfANewLetterAtOnce() throws {
        let test = try TestStore(.postgres)
        let before = try test.store.changeCounter()
        let product = try test.connect()
        defer { product.close() }
        let started = Date()
        try TestStore.enqueueOne(product)
        var heard = try test.store.changeCounter()
        while heard == before && Date().timeIntervalSince(started) < 5 {
            usleep(2_000)
            heard = try test.store.changeCounter()
        }
        #expect(heard != before, "the notification arrived")
        #expect(Date().timeIntervalSince(started) < 1)
    }
}

extension StoreTests.TestStore {
    static func enqueueOne(_ store: LetterStore) throws {
        _ = try store.enqueue(Submission(account: "acme", documentID: "NEW", document: Array("{}".utf8)), at: Date())
    }
}

/// Results gathered from several threads.
final class Outcomes<T>: @unchecked Sendable {
    // @unchecked Sendable: `results` is changed under `lock` only.
    private let lock = NSLock()
    private var results: [Result<T, any Error>] = []

    func add(_ result: Result<T, any Error>) {
        lock.lock(); defer { lock.unlock() }
        results.append(result)
    }

    var all: [Result<T, any Error>] {
        lock.lock(); defer { lock.unlock() }
        return results
    }
}
