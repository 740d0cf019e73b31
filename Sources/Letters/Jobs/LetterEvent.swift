import Foundation

/// One step of a letter's story, as the store keeps it: appended in the
/// transaction of the change it records, never changed afterwards (purge
/// only takes personal data out of its details). Its id only grows: it is
/// the cursor that `courrier events` and the webhook read from.
public struct LetterEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// Queued: checked at intake, waiting to be prepared.
        case queued
        /// Failed, with a code and a reason a person can act on; nothing is charged (or it was refunded).
        case failed
        /// Priced, but the wallet holds less than the price: it waits for a top-up.
        case awaitingFunds = "awaiting_funds"
        /// Priced and charged.
        case prepared
        /// Drawn into a print bundle: its batch, file, first page and place in print order.
        case bundled
        /// Its bundle was handed to the print shop.
        case delivered
        /// The print shop took in its bundle (its `ACK` file).
        case acknowledged
        /// The print shop handed it to the postal operator.
        case posted
        /// The print shop damaged it in production.
        case spoiled
        /// It came back undeliverable, with the post office's reason.
        case returned
        /// Cancelled before it went to print, refunded if it was charged.
        case cancelled
        /// Its document and personal data were forgotten; its charges stay.
        case purged
    }

    /// A value in an event's details: the details are flat, so that a
    /// product reads them without a schema.
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case string(String)
        case integer(Int64)

        public var description: String {
            switch self {
            case .string(let text): text
            case .integer(let number): String(number)
            }
        }
    }

    public var id: Int64
    /// When the change was committed, as `UTCTimestamp` writes it.
    public var time: String
    public var job: Int64
    public var account: String
    public var document: String
    public var kind: Kind
    public var details: [String: Value]

    public init(id: Int64, time: String, job: Int64, account: String, document: String, kind: Kind,
                details: [String: Value]) {
        self.id = id
        self.time = time
        self.job = job
        self.account = account
        self.document = document
        self.kind = kind
        self.details = details
    }

    /// The event as one JSON object, keys in a fixed order and the details'
    /// keys sorted: what `courrier events` prints and the webhook posts.
    public var json: String {
        let fields = [("id", String(id)), ("time", JSONText.quote(time)), ("job", String(job)),
                      ("account", JSONText.quote(account)), ("document", JSONText.quote(document)),
                      ("kind", JSONText.quote(kind.rawValue)), ("details", Self.json(details))]
        return "{" + fields.map { "\(JSONText.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Details as a JSON object, keys sorted, as the store keeps them.
    public static func json(_ details: [String: Value]) -> String {
        "{" + details.sorted { $0.key < $1.key }.map { key, value in
            let written = switch value {
            // PostgreSQL's jsonb refuses \u0000: a NUL that reached a detail is kept as U+FFFD, never failing its transaction.
            case .string(let text): JSONText.quote(text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}"))
            case .integer(let number): String(number)
            }
            return "\(JSONText.quote(key)):\(written)"
        }.joined(separator: ",") + "}"
    }

    /// Details read back from the store's JSON. Only what `json` writes is
    /// expected there; anything else reads as text rather than failing the read.
    public static func details(fromJSON text: String) -> [String: Value] {
        guard case .object(let object)? = try? JSONValue.parse(Data(text.utf8)) else { return [:] }
        return object.mapValues { value in
            switch value {
            case .string(let text): .string(text)
            case .number(let number) where number == number.rounded() && abs(number) < 9e15: .integer(Int64(number))
            case .number(let number): .string(String(number))
            case .bool(let flag): .string(String(flag))
            case .null: .string("")
            case .array, .object: .string("")
            }
        }
    }
}
