import Foundation
import Letters

/// A point in time as an operator writes it on the command line: a date
/// (`2026-12-01`, midnight UTC), a time (`2026-12-01T10:00:00Z`), or a while
/// ago (`24h`, `7d`).
enum Moment {
    static func parse(_ text: String, name: String, now: Date) throws -> Date {
        if let date = UTCTimestamp.date(text) { return date }
        if text.count == 10, let date = UTCTimestamp.date(text + "T00:00:00Z") { return date }
        guard text.last?.isLetter == true else {
            throw MailRoomError.setting(name, is: text, expected: "a date such as 2026-12-01, a time such as 2026-12-01T10:00:00Z, or a while ago such as 24h or 7d")
        }
        return now.addingTimeInterval(-(try Duration.parse(text, name: name)))
    }
}
