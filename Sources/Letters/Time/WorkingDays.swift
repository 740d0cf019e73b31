import Foundation

/// Working days as a post office counts them: Monday to Friday, less the
/// public holidays given, in the time zone of the print shop.
public struct WorkingDays: Sendable, Equatable {
    /// Days off besides weekends, `YYYY-MM-DD`.
    public var holidays: Set<String>
    public var timeZone: TimeZone

    public init(holidays: Set<String> = [], timeZone: TimeZone) {
        self.holidays = holidays
        self.timeZone = timeZone
    }

    /// The end of the `days`-th working day after the day of `start`: a
    /// letter handed over on a Friday and due two working days later is due
    /// by the end of Tuesday, or Wednesday when Monday is a holiday.
    public func deadline(after start: Date, days: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var day = calendar.startOfDay(for: start)
        var counted = 0
        // Bounded: a year of holidays cannot make it loop for ever.
        for _ in 0..<(days * 7 + 400) where counted < days {
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
            let weekday = calendar.component(.weekday, from: day)
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            let name = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
            if weekday != 1 && weekday != 7 && !holidays.contains(name) { counted += 1 }
        }
        return calendar.date(byAdding: .day, value: 1, to: day) ?? day
    }

    /// Reads `2026-12-25,2027-01-01`: dates written as ISO 8601 days.
    public static func holidays(_ text: String) -> Set<String>? {
        let days = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard days.allSatisfy({ UTCTimestamp.date($0 + "T00:00:00Z") != nil && $0.count == 10 }) else { return nil }
        return Set(days)
    }
}
