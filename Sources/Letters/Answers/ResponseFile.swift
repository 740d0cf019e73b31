import Foundation

/// The printing a reprinted letter replaces: the bundle and place where the
/// print shop spoiled it.
public struct Reprint: Sendable, Equatable, Codable {
    public var batch: String
    public var sequence: Int

    public init(batch: String, sequence: Int) {
        self.batch = batch
        self.sequence = sequence
    }
}

/// What the print shop says of one letter, a line of a response file.
public struct PrintShopAnswer: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// Handed to the postal operator on `date`.
        case posted
        /// Damaged in production: to be printed again.
        case spoiled
        /// Came back undeliverable; `reason` as the post office wrote it.
        case returned
    }

    public var batch: String
    /// The letter's place in its bundle's print order, as the manifest gives it.
    public var sequence: Int
    public var status: Status
    /// The day it happened, `YYYY-MM-DD`.
    public var date: String
    public var reason: String?
    /// Where it was read: the file's 1-based line.
    public var line: Int

    public init(batch: String, sequence: Int, status: Status, date: String, reason: String?, line: Int) {
        self.batch = batch
        self.sequence = sequence
        self.status = status
        self.date = date
        self.reason = reason
        self.line = line
    }
}

/// A print shop's response file: UTF-8, RFC 4180, a header row naming at
/// least `batch,sequence,status,date,reason` (in any order; more columns are
/// allowed and passed over), then a letter a line.
///
/// A line that is wrong is reported with its line and what is wrong, and
/// the others apply: one bad line never holds up a day's answers.
public struct ResponseFile: Sendable {
    /// A line that cannot be applied, said so that the print shop can fix it.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based; 0 for the file as a whole.
        public var line: Int
        public var message: String
        public var description: String { line == 0 ? message : "line \(line): \(message)" }

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    public var answers: [PrintShopAnswer] = []
    public var problems: [Problem] = []

    /// The most a response file may hold: a day's answers of a large print shop.
    public static let maximumBytes = 16 * 1024 * 1024
    public static let maximumLines = 200_000
    static let columns = ["batch", "sequence", "status", "date", "reason"]
    /// No bundle holds more letters than this.
    static let maximumSequence = 100_000_000

    /// Reads `bytes`. A file that is not UTF-8 or has no header is one
    /// problem, at line 0, and no answer.
    public static func parse(_ bytes: [UInt8]) -> ResponseFile {
        var file = ResponseFile()
        guard bytes.count <= maximumBytes else {
            file.problems.append(Problem(line: 0, message: "the file holds \(bytes.count) bytes; at most \(maximumBytes) are read"))
            return file
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            file.problems.append(Problem(line: 0, message: "the file is not UTF-8 text"))
            return file
        }
        let records: [(line: Int, fields: [String])]
        do {
            records = try CSV.records(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text, limit: maximumLines)
        } catch {
            file.problems.append(Problem(line: error.line, message: error.message))
            return file
        }
        guard let header = records.first else {
            file.problems.append(Problem(line: 0, message: "the file is empty; it needs a header row: \(columns.joined(separator: ","))"))
            return file
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let missing = columns.filter { !names.contains($0) }
        guard missing.isEmpty else {
            file.problems.append(Problem(line: header.line, message: "the header row has no column \(missing.joined(separator: ", ")); "
                                         + "it must name \(columns.joined(separator: ","))"))
            return file
        }
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        for record in records.dropFirst() where !(record.fields.count == 1 && record.fields[0].isEmpty) {
            func field(_ name: String) -> String {
                guard let column = index[name], column < record.fields.count else { return "" }
                return record.fields[column].trimmingCharacters(in: .whitespaces)
            }
            // A line break in a quoted reason is a space; any other control character refuses the line.
            let reason = field("reason").replacingOccurrences(of: "\r\n", with: " ")
                .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
            switch answer(batch: field("batch"), sequence: field("sequence"), status: field("status"), date: field("date"),
                          reason: reason, line: record.line) {
            case .success(let answer): file.answers.append(answer)
            case .failure(let problem): file.problems.append(problem)
            }
        }
        return file
    }

    private static func answer(batch: String, sequence: String, status: String, date: String, reason: String,
                               line: Int) -> Result<PrintShopAnswer, Problem> {
        func problem(_ message: String) -> Result<PrintShopAnswer, Problem> { .failure(Problem(line: line, message: message)) }
        func quoted(_ text: String) -> String { "\"\(ControlCharacters.escaped(String(text.prefix(40))))\"" }
        guard !batch.isEmpty, batch.count <= 100 else { return problem("batch is \(batch.isEmpty ? "empty" : "too long")") }
        for (name, value) in [("batch", batch), ("reason", reason)] where ControlCharacters.occur(in: value) {
            return problem("\(name) holds a control character (\(quoted(value))), which no letter's story may carry")
        }
        // Bounded as the stores' integer columns are: a number past them would fail the whole file at every round.
        guard let number = Int(sequence), (1...maximumSequence).contains(number) else {
            return problem("sequence is \(quoted(sequence)), expected the letter's number in its bundle, from 1 to \(maximumSequence)")
        }
        guard let known = PrintShopAnswer.Status(rawValue: status.lowercased()) else {
            return problem("status is \(quoted(status)), expected posted, spoiled or returned")
        }
        guard let day = Self.day(date) else {
            return problem("date is \(quoted(date)), expected an ISO 8601 date such as 2026-12-08")
        }
        guard reason.count <= 500 else { return problem("reason is \(reason.count) characters long; at most 500") }
        return .success(PrintShopAnswer(batch: batch, sequence: number, status: known, date: day,
                                        reason: reason.isEmpty ? nil : reason, line: line))
    }

    /// The day of an ISO 8601 date or date and time: `2026-12-08`, `2026-12-08T14:30:00+01:00`.
    static func day(_ text: String) -> String? {
        let day = text.prefix(10)
        let parts = day.split(separator: "-")
        guard day.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let date = Int(parts[2]),
              parts[0].count == 4, (2000...2999).contains(year), (1...12).contains(month), (1...31).contains(date) else { return nil }
        guard text.count == 10 || text.dropFirst(10).first == "T" || text.dropFirst(10).first == " " else { return nil }
        return String(day)
    }
}

/// RFC 4180 records: fields separated by commas, a field in double quotes
/// may hold commas, line breaks and doubled quotes; CRLF or LF ends a record.
enum CSV {
    struct Failure: Error {
        var line: Int
        var message: String
    }

    /// No response file needs more columns; a line of commas stays a line, not millions of fields.
    static let maximumFields = 1_000

    /// Each record with the line it starts on.
    static func records(_ text: String, limit: Int) throws(Failure) -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false, wasQuoted = false
        var line = 1, start = 1
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let scalar = pending { pending = nil; return scalar }
            return scalars.next()
        }
        func endRecord() throws(Failure) {
            fields.append(field)
            records.append((start, fields))
            guard records.count <= limit else { throw Failure(line: line, message: "the file has more than \(limit) lines") }
            fields = []
            field = ""
            wasQuoted = false
        }
        while let scalar = next() {
            if quoted {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = following }
                    } else {
                        quoted = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                guard fields.count < maximumFields else {
                    throw Failure(line: line, message: "a line holds more than \(maximumFields) fields")
                }
                fields.append(field)
                field = ""
                wasQuoted = false
            case "\"":
                guard field.isEmpty, !wasQuoted else {
                    throw Failure(line: line, message: "a quote inside a field that does not start with one; quote the whole field and double the quote")
                }
                quoted = true
                wasQuoted = true
            case "\r":
                if let following = next(), following != "\n" { pending = following }
                try endRecord()
                line += 1
                start = line
            case "\n":
                try endRecord()
                line += 1
                start = line
            default:
                guard !wasQuoted else {
                    throw Failure(line: line, message: "text after a quoted field's closing quote")
                }
                field.unicodeScalars.append(scalar)
            }
        }
        guard !quoted else { throw Failure(line: start, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { try endRecord() }
        return records
    }
}
