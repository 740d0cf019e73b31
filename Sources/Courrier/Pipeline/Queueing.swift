import Foundation
import Letters
import Storage

/// The queueing step: files and the product's submissions read through
/// `Intake` fairly (`FairReading`), each queued or failed with its reason.
public final class Queueing {
    private let store: QueueStore
    /// Reads the documents; a test gives it a reader that cannot start.
    var intake: Intake
    private let threads: Int
    private let claimant: Claimant
    private let log: EventLog
    private let clock: () -> Date

    init(store: QueueStore, intake: Intake, threads: Int, claimant: Claimant, log: EventLog, clock: @escaping () -> Date) {
        self.store = store
        self.intake = intake
        self.threads = threads
        self.claimant = claimant
        self.log = log
        self.clock = clock
    }

    public enum EnqueueResult {
        case queued(EnqueueOutcome)
        case rejected(file: String, reason: String)
    }

    /// Queues each file; a file that cannot be read or identified is rejected
    /// and the others go on. The files a document names are read several at
    /// once, the readers' time shared between accounts (`FairReading`). A file this machine could not
    /// read (no temporary folder, no process) is rejected as not queued, with
    /// what the machine lacked: it is not the letter's failure.
    public func enqueue(files: [URL]) throws -> [EnqueueResult] {
        var results = [EnqueueResult?](repeating: nil, count: files.count)
        var identified: [(index: Int, document: Intake.Identified)] = []
        for (index, file) in files.enumerated() {
            do throws(Intake.Rejection) {
                identified.append((index, try intake.identify(fileURL: file)))
            } catch {
                log.error("job.rejected", ["file": .string(file.path), "reason": .string(error.reason)])
                results[index] = .rejected(file: file.path, reason: error.reason)
            }
        }
        let intake = self.intake
        try FairReading.run(identified, key: { .init(account: $0.document.submission.account,
                                                     document: $0.document.submission.documentID) },
                            threads: threads,
                            read: { item in Result { try intake.complete(item.document) } }) { position, read in
            let index = identified[position].index
            switch read {
            case .success(let submission):
                results[index] = .queued(try record(store.enqueue(submission, at: clock())))
            case .failure(let fault as MachineFault):
                let reason = "not queued: \(fault.message); queue it again once the machine is fixed"
                log.error("job.deferred", ["file": .string(files[index].path), "reason": .string(fault.message)])
                results[index] = .rejected(file: files[index].path, reason: reason)
            case .failure(let error):
                throw error
            }
        }
        return results.map { $0! }
    }

    /// Logs what queueing a submission did.
    private func record(_ outcome: EnqueueOutcome, submission: Int64? = nil) -> EnqueueOutcome {
        let job = outcome.job
        let fields: KeyValuePairs<String, LogValue?> = [
            "job": .integer(job.id), "account": .string(job.account), "document": .string(job.documentID),
            "submission": submission.map(LogValue.integer), "reason": job.reason.map(LogValue.string)]
        if !outcome.created {
            if submission != nil { log.info("job.duplicate", fields) }
        } else if job.state == .failed {
            log.error("job.failed", fields)
        } else {
            log.info("job.queued", fields)
        }
        return outcome
    }

    /// Queues what the invoicing product inserted into the store's
    /// submissions table, through the same intake as files: each is queued,
    /// or failed with its reason, and leaves the table in that transaction.
    /// Their files are read as files are, several at once and fairly between
    /// accounts, and the claims on those still waiting are renewed as they go.
    /// A submission this machine could not read stays in the table, and the
    /// round fails saying what the machine lacked.
    func takeSubmissions() throws {
        let lease: TimeInterval = 300
        while true {
            let rows = try store.takeSubmissions(limit: Preparation.batchSize, worker: claimant.stored, lease: lease,
                                                 maximumBytes: DocumentParser.maximumBytes)
            guard !rows.isEmpty else { return }
            let intake = self.intake
            let identified = rows.map { intake.identify($0) }
            var renewed = Date()
            var fault: MachineFault?
            try FairReading.run(identified, key: { .init(account: $0.submission.account, document: $0.submission.documentID) },
                                threads: threads,
                                read: { item in Result { try intake.complete(item) } }) { index, read in
                switch read {
                case .success(let submission):
                    _ = record(try store.enqueue(submission, at: clock()), submission: rows[index].id)
                case .failure(let error as MachineFault):
                    fault = fault ?? error
                case .failure(let error):
                    throw error
                }
                if Date().timeIntervalSince(renewed) > lease / 3 {
                    try store.renewSubmissions(worker: claimant.stored, lease: lease)
                    renewed = Date()
                }
            }
            if let fault {
                try store.releaseSubmissions(worker: claimant.stored)
                log.error("submission.deferred", ["reason": .string(fault.message)])
                throw MailRoomError(.machine, "submissions could not be read on this machine: \(fault.message)")
            }
        }
    }
}
