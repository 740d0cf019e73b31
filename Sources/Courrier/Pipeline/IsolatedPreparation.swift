import Foundation
import Letters
import Storage

/// A letter that was in hand when its process died is prepared next alone,
/// in a process of its own (Courrier run again as `courrier prepare-alone
/// REQUEST RESULT`), as customers' files are read.
///
/// The process may have died for any reason: SIGKILL from outside, the OOM
/// killer taking the biggest process, a lost machine. None of those is the
/// letter's fault, so it is not failed for it. Only when this attempt, with
/// nothing else in its process, dies too is the letter what killed it: it
/// then fails as `crashed`, uncharged, saying so.
enum IsolatedPreparation {
    static let verb = "prepare-alone"

    /// What the parent asks: the claimed letter, by its job and document.
    struct Request: Codable {
        var job: Int64
        var document: Data
        var letter: Data?
    }

    /// What the child decided.
    struct Outcome: Codable {
        var pages: Int?
        var priceCents: Int64?
        var stream: String?
        var sheets: Int?
        var sortKey: String?
        var reason: String?
        var code: FailureCode?

        init(_ decision: PreparationDecision) {
            switch decision {
            case .charge(_, let pages, let price, let placement):
                self.pages = pages
                priceCents = price
                stream = placement.stream.name
                sheets = placement.sheets
                sortKey = placement.sortKey
            case .fail(_, let reason, let code):
                self.reason = reason
                self.code = code
            }
        }

        func decision(job: Int64) throws -> PreparationDecision {
            if let pages, let priceCents, let name = stream, let stream = PrintStream(name: name), let sheets, let sortKey {
                return .charge(job: job, pages: pages, priceCents: priceCents,
                               placement: PrintPlacement(stream: stream, sheets: sheets, sortKey: sortKey))
            }
            guard let reason, let code else { throw MailRoomError(.machine, "the isolated preparation of job \(job) gave no decision") }
            return .fail(job: job, reason: reason, code: code)
        }
    }

    /// The reason a letter is given when it ended its isolated attempt too.
    static func crashedReason(_ termination: ChildProcess.Termination) -> String {
        "preparing this letter ended its process, and then the process that prepared it alone (\(termination)); "
            + "it was set aside, uncharged, so that the other letters go on. Send it again once its document or files are checked"
    }

    /// In the parent: decides `claimed` in a child process. A child that dies
    /// fails the letter as `crashed`; one that cannot be started or reports
    /// an error throws, and the letter stays queued (`Preparation` defers it).
    static func decide(_ claimed: ClaimedJob, configuration: Configuration) throws -> PreparationDecision {
        guard let executable = IsolatedOpener.defaultExecutable() else {
            throw MachineFault("job \(claimed.job.id) is to be prepared alone, but the courrier executable was not found")
        }
        let request = try AnonymousFile(), result = try AnonymousFile(), errors = try AnonymousFile()
        try request.write([UInt8](try JSONEncoder().encode(Request(job: claimed.job.id, document: Data(claimed.document),
                                                                           letter: claimed.letter.map { Data($0) }))))
        let environment = configuration.childEnvironment()
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.run([executable, verb], input: .descriptor(request.descriptor),
                                               output: .descriptor(result.descriptor), error: .descriptor(errors.descriptor),
                                               timeout: 600, environment: environment)
        } catch {
            throw MachineFault("job \(claimed.job.id) could not be prepared alone: \(error.description)")
        }
        switch termination {
        case .exited(0):
            let outcome = try JSONDecoder().decode(Outcome.self, from: Data(try result.read(limit: 1 << 20)))
            return try outcome.decision(job: claimed.job.id)
        case .exited:
            let said = String(decoding: try errors.read(limit: 64 * 1024), as: UTF8.self)
                .split(separator: "\n").last.map(String.init) ?? "\(termination)"
            throw MailRoomError(.machine, "job \(claimed.job.id) could not be prepared alone: \(said)")
        case .signalled, .timedOut:
            return .fail(job: claimed.job.id, reason: crashedReason(termination), code: .crashed)
        }
    }

    /// In the child: reads the request on standard input, decides, writes
    /// the outcome on standard output; returns the exit status.
    static func main(environment: [String: String]) -> Int32 {
        do {
            let request = try JSONDecoder().decode(Request.self, from: FileHandle.standardInput.readToEnd() ?? Data())
            let configuration = try Configuration.fromEnvironment(environment)
            let tariff = try configuration.loadTariff()
            let store = try StoreLocation.open(configuration.database, readOnly: true)
            defer { store.close() }
            guard let job = try store.job(request.job) else { throw MailRoomError(.notFound, "job \(request.job) is not in the store") }
            #if DEBUG
            // A failpoint of test builds only: an isolated attempt that cannot decide.
            if job.documentID.hasPrefix("FAILPOINT-ALONE-ERROR") { throw MailRoomError(.machine, "the failpoint refused to decide") }
            #endif
            let preparation = Preparation(store: store, tariff: tariff, configuration: configuration,
                                          claimant: Claimant.current(worker: configuration.workerID),
                                          log: EventLog(minimumLevel: .error) { _ in }, clock: Date.init)
            let decision = try preparation.decide(ClaimedJob(job: job, document: [UInt8](request.document),
                                                                      letter: request.letter.map { [UInt8]($0) }, attempts: 0))
            try FileHandle.standardOutput.write(contentsOf: JSONEncoder().encode(Outcome(decision)))
            return 0
        } catch {
            FileHandle.standardError.write(Data("\(String(describing: error).replacingOccurrences(of: "\n", with: " "))\n".utf8))
            return 1
        }
    }
}
