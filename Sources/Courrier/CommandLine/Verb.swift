import Foundation
import Letters
import Storage
import Rendering

/// What a verb printed, and the failure to report when it did not fully succeed.
struct VerbResult {
    var text: String
    var failure: String?
}

/// What `courrier account window ACCOUNT WINDOW` asks for.
enum WindowChange {
    case to(EnvelopeWindow)
    /// `default`: the right window, unless a document says otherwise.
    case backToDefault
}

/// One verb of the command line, its arguments checked.
enum Verb {
    case enqueue(files: [String])
    case run
    case deliver(ignoringBackoff: Bool)
    case render(file: String, output: String)
    case proof(file: String, output: String, page: Int, dpi: Double)
    case quote(file: String)
    case cancel(job: Int64)
    case walletCredit(account: String, cents: Int64, reference: String)
    case walletBalance(account: String)
    case walletHistory(account: String)
    /// Shows the account's envelope window, or sets it: `default` goes back to the right one.
    case accountWindow(account: String, change: WindowChange?)
    case status
    /// Prepares letters as they arrive and cuts on the schedule, until SIGTERM.
    case worker
    /// Cuts a bundle of what is prepared now, and delivers it.
    case cut
    /// Prints the configuration in force.
    case config
    /// Removes personal data of letters finished longer ago than the
    /// retention (`--older-than`, `COURRIER_RETENTION`).
    case purge

    init(_ arguments: Arguments) throws(Arguments.UsageError) {
        let words = arguments.positional
        func expect(_ count: Int, _ usage: String) throws(Arguments.UsageError) {
            guard words.count == count else { throw Arguments.UsageError(description: "usage: courrier \(usage)") }
        }
        if arguments.flags.contains("now") && words[0] != "deliver" {
            throw Arguments.UsageError(description: "--now applies to courrier deliver only")
        }
        switch words[0] {
        case "enqueue":
            guard words.count > 1 else { throw Arguments.UsageError(description: "usage: courrier enqueue FILE...") }
            self = .enqueue(files: Array(words.dropFirst()))
        case "run":
            try expect(1, "run")
            self = .run
        case "deliver":
            try expect(1, "deliver [--now]")
            self = .deliver(ignoringBackoff: arguments.flags.contains("now"))
        case "render":
            try expect(2, "render FILE -o OUT.pdf")
            guard let output = arguments.options["output"] else {
                throw Arguments.UsageError(description: "usage: courrier render FILE -o OUT.pdf")
            }
            self = .render(file: words[1], output: output)
        case "proof":
            let usage = "usage: courrier proof FILE -o PAGE.png [--page N] [--dpi N]"
            try expect(2, usage)
            guard let output = arguments.options["output"] else { throw Arguments.UsageError(description: usage) }
            let page = arguments.options["page"].map { Int($0) ?? 0 } ?? 1
            guard page >= 1 else {
                throw Arguments.UsageError(description: "proof: --page is a page number from 1, got \"\(arguments.options["page"] ?? "")\"")
            }
            let dpi = arguments.options["dpi"].map { Double($0) ?? 0 } ?? PageProof.defaultDPI
            guard dpi > 0 else {
                throw Arguments.UsageError(description: "proof: --dpi is a resolution such as 150, got \"\(arguments.options["dpi"] ?? "")\"")
            }
            self = .proof(file: words[1], output: output, page: page, dpi: dpi)
        case "quote":
            try expect(2, "quote FILE")
            self = .quote(file: words[1])
        case "cancel":
            try expect(2, "cancel JOB")
            guard let job = Int64(words[1]), job > 0 else {
                throw Arguments.UsageError(description: "cancel: JOB is a job number, got \"\(words[1])\"")
            }
            self = .cancel(job: job)
        case "status":
            try expect(1, "status")
            self = .status
        case "worker":
            try expect(1, "worker")
            self = .worker
        case "cut":
            try expect(1, "cut")
            self = .cut
        case "config":
            try expect(1, "config")
            self = .config
        case "purge":
            try expect(1, "purge --older-than DURATION (such as 90d; or COURRIER_RETENTION)")
            self = .purge
        case "wallet":
            guard words.count >= 3 else {
                throw Arguments.UsageError(description: "usage: courrier wallet credit|balance|history ACCOUNT ...")
            }
            switch words[1] {
            case "credit":
                try expect(4, "wallet credit ACCOUNT AMOUNT --reference REF")
                guard let cents = Cents.parse(words[3]), cents > 0 else {
                    throw Arguments.UsageError(description: "wallet credit: AMOUNT is a positive amount in EUR such as 20.00, got \"\(words[3])\"")
                }
                guard let reference = arguments.options["reference"], !reference.isEmpty else {
                    throw Arguments.UsageError(description: "wallet credit needs --reference REF, the payment's unique reference, so that a repeated credit counts once")
                }
                self = .walletCredit(account: words[2], cents: cents, reference: reference)
            case "balance":
                try expect(3, "wallet balance ACCOUNT")
                self = .walletBalance(account: words[2])
            case "history":
                try expect(3, "wallet history ACCOUNT")
                self = .walletHistory(account: words[2])
            default:
                throw Arguments.UsageError(description: "unknown wallet verb \"\(words[1])\"; use credit, balance or history")
            }
        case "account":
            let usage = "usage: courrier account window ACCOUNT [right|left|default]"
            guard words.count == 3 || words.count == 4, words[1] == "window" else {
                throw Arguments.UsageError(description: usage)
            }
            guard words.count == 4 else {
                self = .accountWindow(account: words[2], change: nil)
                return
            }
            if words[3] == "default" {
                self = .accountWindow(account: words[2], change: .backToDefault)
            } else if let window = EnvelopeWindow(rawValue: words[3]) {
                self = .accountWindow(account: words[2], change: .to(window))
            } else {
                throw Arguments.UsageError(description: "account window: \"\(words[3])\" is not a window; use right, left or default")
            }
        default:
            throw Arguments.UsageError(description: "unknown verb \"\(words[0])\"; see courrier --help")
        }
    }

    /// The verbs that only look: they open the store read-only, and a
    /// mistyped path is an error rather than a new, empty store.
    var onlyReads: Bool {
        switch self {
        case .status, .walletBalance, .walletHistory, .quote: true
        default: false
        }
    }

    /// Renders a document to a file; it needs no store, and opens none.
    static func render(file: String, to path: String, intake: Intake, output: Output) throws -> VerbResult {
        let (_, letter, pages) = try MailRoom.render(file: URL(fileURLWithPath: file), intake: intake)
        do {
            try Data(letter.pdf).write(to: URL(fileURLWithPath: path))
        } catch {
            throw MailRoomError("cannot write \(path): \(error.localizedDescription)")
        }
        return output.render(path: path, pages: pages)
    }

    /// Draws a page of a document as a PNG, as the app shows it before the
    /// customer sends; it needs no store either.
    static func proof(file: String, to path: String, page: Int, dpi: Double, intake: Intake, output: Output) throws -> VerbResult {
        let (_, letter, pages) = try MailRoom.render(file: URL(fileURLWithPath: file), intake: intake)
        let pdf = try PDFDocument(bytes: letter.pdf, name: file)
        do {
            try PageProof.write(pdf, page: page - 1, dpi: dpi, to: path)
        } catch {
            throw MailRoomError("\(file): \(error.message)")
        }
        return output.proof(path: path, page: page, pages: pages)
    }

    /// The verbs that read documents only, and open no store.
    func runWithoutStore(output: Output, configuration: Configuration) throws -> VerbResult? {
        func intake() throws -> Intake {
            Intake(configuration, tariff: try configuration.loadTariff())
        }
        switch self {
        case .render(let file, let path):
            return try Self.render(file: file, to: path, intake: try intake(), output: output)
        case .proof(let file, let path, let page, let dpi):
            return try Self.proof(file: file, to: path, page: page, dpi: dpi, intake: try intake(), output: output)
        default:
            return nil
        }
    }

    func run(on mailRoom: MailRoom, output: Output) throws -> VerbResult {
        switch self {
        case .enqueue(let files):
            let results = try mailRoom.enqueue(files: files.map { URL(fileURLWithPath: $0) })
            return output.enqueue(results)
        case .run:
            return output.run(try mailRoom.run())
        case .deliver(let ignoringBackoff):
            return output.deliver(try mailRoom.deliver(ignoringBackoff: ignoringBackoff))
        case .render(let file, let path):
            return try Self.render(file: file, to: path, intake: mailRoom.intake, output: output)
        case .proof(let file, let path, let page, let dpi):
            return try Self.proof(file: file, to: path, page: page, dpi: dpi, intake: mailRoom.intake, output: output)
        case .quote(let file):
            return output.quote(try mailRoom.quote(file: URL(fileURLWithPath: file)))
        case .cancel(let job):
            return output.cancel(job: job, try mailRoom.cancel(job: job))
        case .walletCredit(let account, let cents, let reference):
            return output.credit(account: account, cents: cents, try mailRoom.credit(account: account, cents: cents, reference: reference))
        case .walletBalance(let account):
            return output.balance(account: account, cents: try mailRoom.balance(account: account))
        case .walletHistory(let account):
            return output.history(account: account, try mailRoom.history(account: account))
        case .accountWindow(let account, let change):
            switch change {
            case .to(let window)?: try mailRoom.setEnvelopeWindow(window, account: account)
            case .backToDefault?: try mailRoom.setEnvelopeWindow(nil, account: account)
            case nil: break
            }
            return output.envelopeWindow(account: account, try mailRoom.envelopeWindow(account: account))
        case .worker:
            try Worker(mailRoom: mailRoom).run()
            return VerbResult(text: "")
        case .cut:
            return output.run(try mailRoom.cutAndDeliver(), preparing: false)
        case .config:
            // Answered before a store is opened; nothing to do with one.
            return VerbResult(text: "")
        case .purge:
            guard let days = mailRoom.configuration.retentionDays else {
                throw Arguments.UsageError(description: "purge needs the retention: --older-than 90d, or COURRIER_RETENTION=90d")
            }
            return output.purge(try mailRoom.purge(olderThan: TimeInterval(days) * 86_400), days: days)
        case .status:
            let status = try mailRoom.status()
            return output.status(status.report, metrics: status.metrics, nextCut: status.nextCut, now: mailRoom.clock())
        }
    }
}
