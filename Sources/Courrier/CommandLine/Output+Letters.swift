import Bundling
import Foundation
import Letters
import Storage

/// The answers of `letter`, `letters`, `events`, `responses`, `address` and `reconcile`.
extension Output {
    func reconciliation(_ reconciliation: Reconciliation, csv: Bool) -> VerbResult {
        struct Row: Encodable {
            var batch: String?; var account: String; var letters: Int; var sheets: Int; var chargedCents: Int64
            var refundedCents: Int64; var reprints: Int; var posted: Int; var spoiled: Int; var returned: Int; var unanswered: Int
        }
        struct Answer: Encodable { var rows: [Row]; var debitedCents: Int64; var refundedCents: Int64 }
        let rows = reconciliation.rows.map {
            Row(batch: $0.batch, account: $0.account, letters: $0.letters, sheets: $0.sheets, chargedCents: $0.chargedCents,
                refundedCents: $0.refundedCents, reprints: $0.reprints, posted: $0.posted, spoiled: $0.spoiled,
                returned: $0.returned, unanswered: $0.unanswered)
        }
        if json {
            return VerbResult(text: encode(Answer(rows: rows, debitedCents: reconciliation.debitedCents,
                                                  refundedCents: reconciliation.refundedCents)))
        }
        let header = ["bundle", "account", "letters", "sheets", "charged", "refunded", "reprints", "posted", "spoiled",
                      "returned", "unanswered"]
        let cells = rows.map { row in
            [row.batch ?? "not printed", row.account, String(row.letters), String(row.sheets), Cents.decimalString(row.chargedCents),
             Cents.decimalString(row.refundedCents), String(row.reprints), String(row.posted), String(row.spoiled),
             String(row.returned), String(row.unanswered)]
        }
        let total = ["total", "", String(rows.reduce(0) { $0 + $1.letters }), String(rows.reduce(0) { $0 + $1.sheets }),
                     Cents.decimalString(reconciliation.debitedCents), Cents.decimalString(reconciliation.refundedCents),
                     String(rows.reduce(0) { $0 + $1.reprints }), String(rows.reduce(0) { $0 + $1.posted }),
                     String(rows.reduce(0) { $0 + $1.spoiled }), String(rows.reduce(0) { $0 + $1.returned }),
                     String(rows.reduce(0) { $0 + $1.unanswered })]
        if csv {
            // Account names and batches are Courrier's own checked words: no customer text reaches the CSV.
            return VerbResult(text: ([header] + cells + [total]).map { Manifest.csvLine($0) }.joined(), isData: true)
        }
        return VerbResult(text: Self.aligned([header.map { $0.uppercased() }] + cells + [total]))
    }

    /// Rows of cells in columns two spaces apart, for a terminal.
    static func aligned(_ table: [[String]]) -> String {
        let widths = (0..<(table.first?.count ?? 0)).map { column in table.map { $0[column].count }.max() ?? 0 }
        return table.map { row in
            trailingSpacesTrimmed(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }.joined(separator: "\n") + "\n"
    }

    /// A line without the spaces that padding left at its end.
    static func trailingSpacesTrimmed(_ line: String) -> String {
        String(line.reversed().drop { $0 == " " }.reversed())
    }

    func addressHolds(account: String, _ holds: [AddressHold]) -> VerbResult {
        struct Hold: Encodable { var job: Int64; var address: String; var returnedOn: String; var reason: String? }
        if json {
            return VerbResult(text: encode(holds.map { Hold(job: $0.job, address: $0.lines, returnedOn: $0.returnedOn, reason: $0.reason) }))
        }
        guard !holds.isEmpty else { return VerbResult(text: "\(account): no address held\n") }
        let lines = ["\(account): \(holds.count) \(holds.count == 1 ? "address" : "addresses") held"] + holds.map {
            "  job \($0.job)  returned \($0.returnedOn)\($0.reason.map { " (\($0))" } ?? "")  \($0.lines)"
        }
        return VerbResult(text: lines.joined(separator: "\n") + "\n")
    }

    func responses(_ report: TakingAnswers.Report) -> VerbResult {
        struct Answer: Encodable {
            var acknowledged: [String]; var files: [String]; var applied: Int; var repeated: Int; var problems: [String]
        }
        if json {
            return VerbResult(text: encode(Answer(acknowledged: report.acknowledged, files: report.files, applied: report.applied,
                                                  repeated: report.repeated, problems: report.problems)))
        }
        var lines = ["Acknowledged \(Self.count(report.acknowledged.count, "bundle"))"
                     + (report.acknowledged.isEmpty ? "" : ": \(report.acknowledged.joined(separator: ", "))"),
                     "Took \(Self.count(report.files.count, "response file")): \(Self.count(report.applied, "answer")) applied, "
                     + "\(report.repeated) already applied, \(report.problems.count) refused"]
        lines += report.problems.map { "  \($0)" }
        return VerbResult(text: lines.joined(separator: "\n") + "\n")
    }

    /// An event as `--json` answers carry it: the same fields as a line of `courrier events`.
    struct EventAnswer: Encodable {
        var id: Int64
        var time: String
        var job: Int64
        var account: String
        var document: String
        var kind: String
        var details: [String: DetailValue]

        init(_ event: LetterEvent) {
            id = event.id
            time = event.time
            job = event.job
            account = event.account
            document = event.document
            kind = event.kind.rawValue
            details = event.details.mapValues(DetailValue.init)
        }
    }

    struct DetailValue: Encodable {
        var value: LetterEvent.Value
        init(_ value: LetterEvent.Value) { self.value = value }

        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch value {
            case .string(let text): try container.encode(text)
            case .integer(let number): try container.encode(number)
            }
        }
    }

    private struct LetterAnswer: Encodable {
        var job: Int64
        var account: String
        var document: String
        var state: String
        var pages: Int?
        var sheets: Int?
        var priceCents: Int64?
        var bundle: String?
        var file: String?
        var firstPage: Int64?
        var sequence: Int64?
        var failureCode: String?
        var failureReason: String?
        /// The print shop's last word on it (posted, spoiled, returned), and its day.
        var answer: String?
        var answeredOn: String?
        var queuedAt: String
        var events: [EventAnswer]
    }

    func letter(_ story: Stories.Story) -> VerbResult {
        let job = story.job
        let placement = story.placement?.details
        let failure = story.failure?.details
        let code = failure?["code"]?.description
        let reason = failure?["reason"]?.description ?? job.reason
        let answer = story.events.last { [.posted, .spoiled, .returned].contains($0.kind) }
        if json {
            return VerbResult(text: encode(LetterAnswer(
                job: job.id, account: job.account, document: job.documentID, state: job.state.rawValue, pages: job.pages,
                sheets: job.sheets, priceCents: job.priceCents, bundle: job.batch ?? placement?["batch"]?.description,
                file: placement?["file"]?.description, firstPage: placement?["first_page"]?.integer,
                sequence: placement?["sequence"]?.integer, failureCode: code, failureReason: reason,
                answer: answer?.kind.rawValue, answeredOn: answer?.details["date"]?.description,
                queuedAt: job.createdAt, events: story.events.map(EventAnswer.init))))
        }
        let answered = answer.map { ", \($0.kind.rawValue) on \($0.details["date"]?.description ?? "?")" } ?? ""
        var lines = ["job \(job.id)  \(job.account)/\(job.documentID)  \(job.state.rawValue)\(answered)"]
        if let pages = job.pages, let price = job.priceCents {
            let sheets = job.sheets.map { ", \($0) \($0 == 1 ? "sheet" : "sheets")" } ?? ""
            lines.append("  \(pages) \(pages == 1 ? "page" : "pages")\(sheets), \(Self.euros(price))")
        }
        if let placement, let file = placement["file"], let page = placement["first_page"], let sequence = placement["sequence"] {
            lines.append("  bundle \(placement["batch"]?.description ?? job.batch ?? "?"): \(file) from page \(page), letter \(sequence) in print order")
        }
        if job.state == .failed {
            lines.append("  failed\(code.map { " (\($0))" } ?? ""): \(reason ?? "no reason kept")")
        }
        lines.append("")
        let width = LetterEvent.Kind.allCases.map(\.rawValue.count).max() ?? 0
        for event in story.events {
            let details = event.details.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(LogValue.string($0.value.description).text)" }.joined(separator: " ")
            let kind = event.kind.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append(Self.trailingSpacesTrimmed("  \(event.time)  \(kind)  \(details)"))
        }
        return VerbResult(text: lines.joined(separator: "\n") + "\n")
    }

    private struct LetterRow: Encodable {
        var job: Int64
        var account: String
        var document: String
        var state: String
        var pages: Int?
        var priceCents: Int64?
        var bundle: String?
        var queuedAt: String
        var updatedAt: String
        var reason: String?
    }

    func letters(_ jobs: [Job]) -> VerbResult {
        if json {
            return VerbResult(text: encode(jobs.map {
                LetterRow(job: $0.id, account: $0.account, document: $0.documentID, state: $0.state.rawValue, pages: $0.pages,
                          priceCents: $0.priceCents, bundle: $0.batch, queuedAt: $0.createdAt, updatedAt: $0.updatedAt,
                          reason: $0.reason)
            }))
        }
        guard !jobs.isEmpty else { return VerbResult(text: "no letters\n") }
        let rows = [["JOB", "ACCOUNT", "DOCUMENT", "STATE", "PAGES", "PRICE", "QUEUED", "BUNDLE"]] + jobs.map { job in
            [String(job.id), Self.cell(job.account), Self.cell(job.documentID), job.state.rawValue, job.pages.map(String.init) ?? "-",
             job.priceCents.map { Cents.decimalString($0) } ?? "-", job.createdAt, job.batch ?? "-"]
        }
        return VerbResult(text: Self.aligned(rows))
    }

    /// A customer's text in a column: one line, and no wider than a column should be.
    private static func cell(_ text: String) -> String {
        let line = ControlCharacters.escaped(text)
        return line.count > 40 ? String(line.prefix(39)) + "…" : line
    }

    /// One JSON object a line, whatever `--json` says: what a program reads.
    func events(_ events: [LetterEvent]) -> VerbResult {
        VerbResult(text: events.map { $0.json + "\n" }.joined())
    }
}

extension LetterEvent.Value {
    var integer: Int64? {
        if case .integer(let number) = self { number } else { nil }
    }
}
