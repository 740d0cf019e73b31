import Foundation
import Letters
import Rendering
import Storage

/// Every verb of the command line, each in one declaration: its arguments,
/// options, summary and example (from which the usage, its help, the
/// completion and the README's reference are made) and what it does.
extension CommandTable {
    static let verbs: [Verb] = [
        Verb(name: "enqueue", arguments: "FILE...", summary: "queue documents (courrier.document/1 JSON) and the files they name",
             groups: [.intake], example: "courrier enqueue invoices/*.json") { call throws(Arguments.UsageError) in
            let files = try call.expectWords().map { URL(fileURLWithPath: $0) }
            return .mailRoom { room, output in output.enqueue(try room.queueing.enqueue(files: files)) }
        },
        Verb(name: "run", arguments: "", summary: "prepare what is queued, cut a bundle, deliver it",
             groups: [.printShop, .bundle, .delivery, .webhook, .intake, .metrics],
             example: "courrier run --deliver sftp://courrier@print.example/in") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            return .mailRoom(readOnly: false, progress: true) { room, output in output.run(try room.run()) }
        },
        Verb(name: "worker", arguments: "",
             summary: "prepare letters as they arrive, cut on the schedule, deliver after each cut; until SIGTERM",
             groups: [.printShop, .bundle, .delivery, .webhook, .schedule, .intake, .metrics],
             example: "courrier worker --cut-at 10:00,16:00") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            return .mailRoom { room, _ in
                try Worker(mailRoom: room).run()
                return VerbResult(text: "")
            }
        },
        Verb(name: "cut", arguments: "", summary: "cut a bundle of what is prepared now, and deliver it",
             groups: [.printShop, .bundle, .delivery, .intake, .metrics], example: "courrier cut") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            return .mailRoom(readOnly: false, progress: true) { room, output in output.run(try room.cutAndDeliver(), preparing: false) }
        },
        Verb(name: "deliver", arguments: "", summary: "hand over the bundles not yet delivered (a lost folder is drawn again)",
             groups: [.printShop, .bundle, .delivery, .intake],
             options: [Option(name: "now", value: "", help: "also those waiting to retry")],
             example: "courrier deliver --now") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            let now = call.flags.contains("now")
            return .mailRoom { room, output in output.deliver(try room.deliver(ignoringBackoff: now)) }
        },
        Verb(name: "responses", arguments: "", summary: "read the print shop's ACK and response files from the drop, once",
             groups: [.delivery], example: "courrier responses --deliver sftp://courrier@print.example/in") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            return .mailRoom { room, output in output.responses(try room.takeAnswers()) }
        },
        Verb(name: "render", arguments: "FILE", summary: "render a document as it would be mailed", groups: [.printShop, .intake],
             options: [Option(name: "output", value: "OUT.pdf", help: "where to write it (-o)", required: true)],
             example: "courrier render invoice.json -o invoice.pdf") { call throws(Arguments.UsageError) in
            let file = try call.expectWords()[0], path = try call.required("output")
            return .configuration { _, configuration, output in
                try DocumentDrawing.render(file: file, to: path, intake: try DocumentDrawing.intake(configuration), output: output)
            }
        },
        Verb(name: "proof", arguments: "FILE", summary: "a page as a PNG, as the customer sees it", groups: [.printShop, .intake],
             options: [Option(name: "output", value: "PAGE.png", help: "where to write it (-o)", required: true),
                       Option(name: "page", value: "N", help: "the page (default 1)"),
                       Option(name: "dpi", value: "N", help: "the resolution (default 150)")],
             example: "courrier proof invoice.json -o page.png --page 2") { call throws(Arguments.UsageError) in
            let file = try call.expectWords()[0], path = try call.required("output")
            let page = call.options["page"].map { Int($0) ?? 0 } ?? 1
            guard page >= 1 else { throw call.refusal("--page is a page number from 1, got \"\(call.options["page"] ?? "")\"") }
            let dpi = call.options["dpi"].map { Double($0) ?? 0 } ?? PageProof.defaultDPI
            guard dpi > 0 else { throw call.refusal("--dpi is a resolution such as 150, got \"\(call.options["dpi"] ?? "")\"") }
            return .configuration { _, configuration, output in
                try DocumentDrawing.proof(file: file, to: path, page: page, dpi: dpi,
                                          intake: try DocumentDrawing.intake(configuration), output: output)
            }
        },
        Verb(name: "quote", arguments: "FILE", summary: "pages, price, balance and balance after", groups: [.printShop, .intake],
             example: "courrier quote invoice.json") { call throws(Arguments.UsageError) in
            let file = URL(fileURLWithPath: try call.expectWords()[0])
            return .mailRoom(readOnly: true) { room, output in output.quote(try room.quoting.quote(file: file)) }
        },
        Verb(name: "cancel", arguments: "JOB", summary: "cancel a letter not yet bundled; it is refunded", groups: [],
             example: "courrier cancel 42") { call throws(Arguments.UsageError) in
            let word = try call.expectWords()[0]
            guard let job = Int64(word), job > 0 else { throw call.refusal("JOB is a job number, got \"\(word)\"") }
            return .mailRoom { room, output in output.cancel(job: job, try room.records.cancel(job: job)) }
        },
        Verb(name: "wallet", arguments: "credit ACCOUNT AMOUNT | balance ACCOUNT | history ACCOUNT",
             summary: "top up a prepaid wallet once per reference, or look at it", groups: [],
             options: [Option(name: "reference", value: "REF", help: "the payment's reference: a top-up counts once")],
             example: "courrier wallet credit acme 20.00 --reference BANK-2026-11-28-001") { call throws(Arguments.UsageError) in
            let (action, words) = try call.expectAlternative()
            let account = words[0]
            switch action {
            case "credit":
                guard let cents = Cents.parse(words[1]), cents > 0 else {
                    throw call.refusal("AMOUNT is a positive amount in EUR such as 20.00, got \"\(words[1])\"")
                }
                guard let reference = call.options["reference"], !reference.isEmpty else {
                    throw Arguments.UsageError(description: "wallet credit needs --reference REF, the payment's unique reference, "
                                               + "so that a repeated credit counts once")
                }
                return .mailRoom { room, output in
                    output.credit(account: account, cents: cents, try room.accounts.credit(account: account, cents: cents, reference: reference))
                }
            case "balance":
                return .mailRoom(readOnly: true) { room, output in output.balance(account: account, cents: try room.accounts.balance(account: account)) }
            default:
                return .mailRoom(readOnly: true) { room, output in output.history(account: account, try room.accounts.history(account: account)) }
            }
        },
        Verb(name: "account", arguments: "window ACCOUNT [right|left|default]",
             summary: "the envelope window of the account's letters (a document's print.window wins)", groups: [],
             example: "courrier account window acme left") { call throws(Arguments.UsageError) in
            guard call.words.first == "window", call.words.count == 2 || call.words.count == 3 else { throw call.usage() }
            let account = call.words[1]
            var change: WindowChange?
            if call.words.count == 3 {
                if call.words[2] == "default" {
                    change = .backToDefault
                } else if let window = EnvelopeWindow(rawValue: call.words[2]) {
                    change = .to(window)
                } else {
                    throw Arguments.UsageError(description: "account window: \"\(call.words[2])\" is not a window; use right, left or default")
                }
            }
            return .mailRoom { [change] room, output in
                switch change {
                case .to(let window)?: try room.accounts.setEnvelopeWindow(window, account: account)
                case .backToDefault?: try room.accounts.setEnvelopeWindow(nil, account: account)
                case nil: break
                }
                return output.envelopeWindow(account: account, try room.accounts.envelopeWindow(account: account))
            }
        },
        Verb(name: "letter", arguments: "ACCOUNT DOCUMENT | JOB",
             summary: "one letter's story: its events, pages, price, place in its bundle, failure", groups: [],
             example: "courrier letter acme INV-2026-0116") { call throws(Arguments.UsageError) in
            let reference: Stories.Reference
            switch call.words.count {
            case 1:
                guard let job = Int64(call.words[0]), job > 0 else {
                    throw call.refusal("JOB is a job number, got \"\(call.words[0])\"; or give ACCOUNT DOCUMENT")
                }
                reference = .job(job)
            case 2: reference = .document(account: call.words[0], id: call.words[1])
            default: throw call.usage()
            }
            return .mailRoom(readOnly: true) { room, output in output.letter(try room.stories.story(of: reference)) }
        },
        Verb(name: "letters", arguments: "", summary: "letters, newest first, one a line", groups: [],
             options: [Option(name: "account", value: "ACCOUNT", help: "of this account"),
                       Option(name: "state", value: "STATE", help: "in this state (\(JobState.allCases.map(\.rawValue).joined(separator: ", ")))"),
                       Option(name: "since", value: "WHEN", help: "queued since a date (2026-12-01), a time, or a while ago (24h, 7d)"),
                       Option(name: "bundle", value: "BATCH", help: "in this bundle"),
                       Option(name: "limit", value: "N", help: "at most N letters (default 50)")],
             example: "courrier letters --account acme --state failed --since 7d") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            var query = JobQuery(account: call.options["account"], bundle: call.options["bundle"])
            if let state = call.options["state"] {
                guard let known = JobState(rawValue: state) else {
                    throw call.refusal("--state is one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(state)\"")
                }
                query.state = known
            }
            if let limit = call.options["limit"] {
                guard let number = Int(limit), (1...100_000).contains(number) else {
                    throw call.refusal("--limit is a number of letters from 1 to 100000, got \"\(limit)\"")
                }
                query.limit = number
            }
            let since = call.options["since"]
            return .mailRoom(readOnly: true) { [query] room, output in
                var query = query
                if let since { query.since = try Moment.parse(since, name: "--since", now: room.clock()) }
                return output.letters(try room.stories.letters(query))
            }
        },
        Verb(name: "events", arguments: "", summary: "letters' events as JSON lines, from a cursor; --follow waits for more",
             groups: [],
             options: [Option(name: "after", value: "ID", help: "only the events after this id (default: from the first)"),
                       Option(name: "account", value: "ACCOUNT", help: "of this account"),
                       Option(name: "follow", value: "", help: "then wait for new events, until SIGINT or SIGTERM")],
             example: "courrier events --after 1200 --follow") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            var cursor: Int64 = 0
            if let after = call.options["after"] {
                guard let id = Int64(after), id >= 0 else { throw call.refusal("--after is an event id, got \"\(after)\"") }
                cursor = id
            }
            let account = call.options["account"], follow = call.flags.contains("follow")
            return .mailRoom(readOnly: true) { [cursor] room, output in
                guard follow else {
                    return output.events(try room.stories.events(after: cursor, account: account, limit: 100_000))
                }
                let stop = StopRequest(grace: 0, clock: room.clock)
                let signals = stop.watchSignals { _ in }
                defer { signals.forEach { $0.cancel() } }
                _ = try room.stories.follow(after: cursor, account: account, poll: min(room.configuration.pollInterval, 1),
                                            stop: stop) { output.stream($0.json + "\n") }
                return VerbResult(text: "")
            }
        },
        Verb(name: "address", arguments: "holds ACCOUNT | release ACCOUNT JOB",
             summary: "the addresses an account's letters came back from, held; lift one by the returned letter's job", groups: [],
             example: "courrier address release acme 42") { call throws(Arguments.UsageError) in
            let (action, words) = try call.expectAlternative()
            let account = words[0]
            guard action == "release" else {
                return .mailRoom(readOnly: true) { room, output in
                    output.addressHolds(account: account, try room.accounts.addressHolds(account: account))
                }
            }
            guard let job = Int64(words[1]), job > 0 else { throw call.refusal("JOB is the returned letter's job number, got \"\(words[1])\"") }
            return .mailRoom { room, output in
                try room.accounts.releaseAddressHold(account: account, job: job)
                return output.addressHolds(account: account, try room.accounts.addressHolds(account: account))
            }
        },
        Verb(name: "reconcile", arguments: "",
             summary: "what was charged, posted, spoiled, returned, per bundle and account; sums to the ledger",
             groups: [.schedule],
             options: [Option(name: "month", value: "YYYY-MM", help: "the letters charged that month (default: all)"),
                       Option(name: "csv", value: "", help: "answer in CSV, for finance")],
             example: "courrier reconcile --month 2026-12 --csv") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            let month = call.options["month"], csv = call.flags.contains("csv")
            return .mailRoom(readOnly: true) { room, output in
                output.reconciliation(try room.records.reconcile(month: month), csv: csv)
            }
        },
        Verb(name: "status", arguments: "", summary: "jobs per state, failures, bundles, deliveries, the next cut",
             groups: [.schedule], example: "courrier status --json") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            return .mailRoom(readOnly: true) { room, output in
                let status = try room.records.status()
                return output.status(status.report, metrics: status.metrics, nextCut: status.nextCut, now: room.clock())
            }
        },
        Verb(name: "config", arguments: "", summary: "the settings in force and where each comes from",
             groups: Group.allCases, example: "courrier config --config /etc/courrier/courrier.conf") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            return .configuration { settings, configuration, output in
                try configuration.validate()
                return output.config(settings, configuration)
            }
        },
        Verb(name: "purge", arguments: "",
             summary: "forget the documents, attachments and bundle folders of letters finished long ago",
             groups: [.bundle, .retention], example: "courrier purge --older-than 90d") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            return .mailRoom { room, output in
                guard let days = room.configuration.retentionDays else {
                    throw Arguments.UsageError(description: "purge needs the retention: --older-than 90d, or COURRIER_RETENTION=90d")
                }
                return output.purge(try room.records.purge(olderThan: TimeInterval(days) * 86_400), days: days)
            }
        },
        Verb(name: "version", arguments: "", summary: "this build, its store schemas and its formats (or --version)",
             groups: [], example: "courrier --version") { call throws(Arguments.UsageError) in
            _ = try call.expectWords()
            return .text(CourrierCommand.versionText)
        },
        Verb(name: "completion", arguments: "bash", summary: "a bash completion script", groups: [],
             example: "courrier completion bash > /usr/share/bash-completion/completions/courrier") { call throws(Arguments.UsageError) in
            guard call.words == ["bash"] else { throw call.refusal("bash is the shell it knows: courrier completion bash") }
            return .text(BashCompletion.script)
        },
        Verb(name: "help", arguments: "[VERB]", summary: "this text, or a verb's arguments, options and an example",
             groups: [], example: "courrier help worker") { call throws(Arguments.UsageError) in
            guard let name = call.words.first else { return .text(CommandTable.usage) }
            guard call.words.count == 1 else { throw call.usage() }
            guard let verb = CommandTable.verb(name) else {
                throw Arguments.UsageError(description: "unknown verb \"\(name)\"; see courrier help")
            }
            return .text(CommandTable.help(verb))
        },
    ]
}
