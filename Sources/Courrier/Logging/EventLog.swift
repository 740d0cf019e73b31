import Foundation
import Letters

/// Structured events, one JSON object per line, for operations to search;
/// or, with the text format, one readable line per event for a person at a
/// terminal.
///
/// Every JSON line has `time`, `level`, `event` and `worker` first, then the
/// event's fields (`job`, `account`, `document`, `batch`, `pages`,
/// `price_cents`, `reason`).
public final class EventLog: @unchecked Sendable {
    // @unchecked Sendable: the only mutable state is the output, written under `lock`.

    public enum Level: String, Sendable, Comparable {
        case debug, info, warning, error

        private var rank: Int {
            switch self {
            case .debug: 0
            case .info: 1
            case .warning: 2
            case .error: 3
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    public enum Format: String, Sendable {
        case json, text
    }

    private let write: @Sendable (String) -> Void
    private let minimumLevel: Level
    private let format: Format
    private let worker: String?
    private let lock = NSLock()

    /// A log that writes lines to `write`, which receives each line with its
    /// newline. `worker` names the process on every JSON line.
    public init(minimumLevel: Level = .info, format: Format = .json, worker: String? = nil,
                write: @escaping @Sendable (String) -> Void) {
        self.minimumLevel = minimumLevel
        self.format = format
        self.worker = worker
        self.write = write
    }

    public func log(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, LogValue?> = [:]) {
        guard level >= minimumLevel else { return }
        let time = UTCTimestamp.string(Date(), milliseconds: true)
        var line: String
        switch format {
        case .json:
            line = "{\"time\":\(Self.quote(time)),\"level\":\(Self.quote(level.rawValue)),\"event\":\(Self.quote(event))"
            if let worker { line += ",\"worker\":\(Self.quote(worker))" }
            for (key, value) in fields {
                guard let value else { continue }
                line += ",\(Self.quote(key)):\(value.json)"
            }
            line += "}\n"
        case .text:
            // 2026-11-30 10:00:01 WARN  job.awaiting_funds job=5 account=acme balance_cents=0
            let level = level == .warning ? "WARN" : level.rawValue.uppercased()
            line = "\(time.prefix(10)) \(time.dropFirst(11).prefix(8)) \(level.padding(toLength: 5, withPad: " ", startingAt: 0)) \(event)"
            for (key, value) in fields {
                guard let value else { continue }
                line += " \(key)=\(value.text)"
            }
            line += "\n"
        }
        lock.lock()
        defer { lock.unlock() }
        write(line)
    }

    public func debug(_ event: String, _ fields: KeyValuePairs<String, LogValue?> = [:]) { log(.debug, event, fields) }
    public func info(_ event: String, _ fields: KeyValuePairs<String, LogValue?> = [:]) { log(.info, event, fields) }
    public func warning(_ event: String, _ fields: KeyValuePairs<String, LogValue?> = [:]) { log(.warning, event, fields) }
    public func error(_ event: String, _ fields: KeyValuePairs<String, LogValue?> = [:]) { log(.error, event, fields) }

    /// A JSON string literal.
    static func quote(_ text: String) -> String { JSONText.quote(text) }
}

/// A field value in a log line.
public enum LogValue: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case integer(Int64)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }

    public static func int(_ value: Int) -> LogValue { .integer(Int64(value)) }

    var json: String {
        switch self {
        case .string(let text): EventLog.quote(text)
        case .integer(let number): String(number)
        }
    }

    /// Bare when it is one word, quoted when it holds spaces or quotes.
    var text: String {
        switch self {
        case .string(let text):
            text.isEmpty || text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline })
                || ControlCharacters.occur(in: text) ? EventLog.quote(text) : text
        case .integer(let number): String(number)
        }
    }
}
