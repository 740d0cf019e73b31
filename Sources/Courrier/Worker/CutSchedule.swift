import Foundation

/// When the worker cuts bundles: at fixed times on chosen days in a named
/// time zone (`10:00,16:00` on `mon-fri` in `Europe/Brussels`), or every N
/// minutes.
///
/// A schedule is a series of slots. The worker cuts for the latest slot that
/// has passed, once: the store records each slot cut, so a restart across a
/// slot neither misses it nor cuts it twice.
public struct CutSchedule: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Minutes after midnight, on the given weekdays (1 = Sunday … 7 = Saturday).
        case daily(minutes: [Int], weekdays: Set<Int>)
        case every(minutes: Int)
    }

    public var kind: Kind
    public var timeZone: TimeZone

    public static let standard = CutSchedule(
        kind: .daily(minutes: [10 * 60, 16 * 60], weekdays: Set(2...6)),
        timeZone: TimeZone(identifier: "Europe/Brussels")!)

    public init(kind: Kind, timeZone: TimeZone) {
        self.kind = kind
        self.timeZone = timeZone
    }

    /// Reads `COURRIER_CUT_AT` (`10:00,16:00`), `COURRIER_CUT_DAYS`
    /// (`mon-fri`, `mon,wed,fri`, `all`), `COURRIER_CUT_EVERY` (`30m`, `2h`)
    /// and `COURRIER_TIME_ZONE`; nil values keep the standard schedule's.
    /// `names` say which setting is wrong.
    public static func parse(at: String?, days: String?, every: String?, timeZone: String?,
                             names: (at: String, days: String, every: String, timeZone: String)) throws -> CutSchedule {
        var schedule = standard
        if let timeZone {
            guard let zone = TimeZone(identifier: timeZone) else {
                throw MailRoomError.setting(names.timeZone, is: timeZone, expected: "a time zone name such as Europe/Brussels")
            }
            schedule.timeZone = zone
        }
        if let every {
            guard at == nil, days == nil else {
                throw MailRoomError(.setting, subject: names.every, "\(names.every) and \(names.at)/\(names.days) both set; give times, or an interval")
            }
            let seconds = try Duration.parse(every, name: names.every, minimum: 60)
            let minutes = Int(seconds / 60)
            guard Double(minutes * 60) == seconds, minutes <= 24 * 60, (24 * 60) % minutes == 0 else {
                throw MailRoomError.setting(names.every, is: every, expected: "an interval that divides a day, such as 15m, 30m or 2h")
            }
            schedule.kind = .every(minutes: minutes)
            return schedule
        }
        guard case .daily(var times, var weekdays) = schedule.kind else { return schedule }
        if let at {
            times = []
            for part in at.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                let pieces = part.split(separator: ":")
                guard pieces.count == 2, let hour = Int(pieces[0]), let minute = Int(pieces[1]),
                      (0..<24).contains(hour), (0..<60).contains(minute), pieces[1].count == 2 else {
                    throw MailRoomError.setting(names.at, is: at, expected: "times of day such as 10:00,16:00")
                }
                times.append(hour * 60 + minute)
            }
            guard !times.isEmpty else { throw MailRoomError(.setting, subject: names.at, "\(names.at) is empty; give times such as 10:00,16:00") }
        }
        if let days {
            guard let parsed = Self.weekdays(days) else {
                throw MailRoomError.setting(names.days, is: days, expected: "days such as mon-fri, mon,wed,fri or all")
            }
            weekdays = parsed
        }
        schedule.kind = .daily(minutes: Array(Set(times)).sorted(), weekdays: weekdays)
        return schedule
    }

    /// The latest slot at or before `date`; nil when there is none in the
    /// past eight days (no day of the week chosen).
    public func latestSlot(atOrBefore date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        switch kind {
        case .every(let minutes):
            let startOfDay = calendar.startOfDay(for: date)
            let elapsed = Int(date.timeIntervalSince(startOfDay) / 60)
            return calendar.date(byAdding: .minute, value: elapsed / minutes * minutes, to: startOfDay)
        case .daily(let times, let weekdays):
            for back in 0...7 {
                guard let day = calendar.date(byAdding: .day, value: -back, to: calendar.startOfDay(for: date)),
                      weekdays.contains(calendar.component(.weekday, from: day)) else { continue }
                for minutes in times.reversed() {
                    // Through the calendar, so that a day of 23 or 25 hours keeps 10:00 at 10:00.
                    guard let slot = calendar.date(bySettingHour: minutes / 60, minute: minutes % 60, second: 0, of: day),
                          slot <= date else { continue }
                    return slot
                }
            }
            return nil
        }
    }

    /// The first slot after `date`; nil when no day of the week is chosen.
    public func nextSlot(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let startOfDay = calendar.startOfDay(for: date)
        switch kind {
        case .every(let minutes):
            let elapsed = Int(date.timeIntervalSince(startOfDay) / 60)
            return calendar.date(byAdding: .minute, value: (elapsed / minutes + 1) * minutes, to: startOfDay)
        case .daily(let times, let weekdays):
            for ahead in 0...7 {
                guard let day = calendar.date(byAdding: .day, value: ahead, to: startOfDay),
                      weekdays.contains(calendar.component(.weekday, from: day)) else { continue }
                for minutes in times {
                    if let slot = calendar.date(bySettingHour: minutes / 60, minute: minutes % 60, second: 0, of: day),
                       slot > date {
                        return slot
                    }
                }
            }
            return nil
        }
    }

    /// Weekday numbers as `Calendar` counts them, from 1 for Sunday.
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// `10:00,16:00`, as `COURRIER_CUT_AT` writes it.
    static func timesText(_ minutes: [Int]) -> String {
        minutes.map { String(format: "%02d:%02d", $0 / 60, $0 % 60) }.joined(separator: ",")
    }

    /// `mon,tue,wed,thu,fri`, as `COURRIER_CUT_DAYS` writes it.
    static func daysText(_ weekdays: Set<Int>) -> String {
        (1...7).filter(weekdays.contains).map { dayNames[$0 - 1] }.joined(separator: ",")
    }

    public var description: String {
        switch kind {
        case .every(let minutes):
            return "every \(minutes) min"
        case .daily(let times, let weekdays):
            let days = weekdays.count == 7 ? "every day" : Self.daysText(weekdays)
            return "\(Self.timesText(times)) \(days) \(timeZone.identifier)"
        }
    }

    private static func weekdays(_ text: String) -> Set<Int>? {
        func day(_ name: Substring) -> Int? { dayNames.firstIndex(of: String(name.prefix(3)).lowercased()).map { $0 + 1 } }
        if text.lowercased() == "all" { return Set(1...7) }
        var result: Set<Int> = []
        for part in text.split(separator: ",") {
            let range = part.split(separator: "-")
            if range.count == 2, let first = day(range[0]), let last = day(range[1]) {
                // mon-fri, or sat-mon across the week's end.
                var current = first
                while true {
                    result.insert(current)
                    if current == last { break }
                    current = current % 7 + 1
                }
            } else if range.count == 1, let single = day(range[0]) {
                result.insert(single)
            } else {
                return nil
            }
        }
        return result.isEmpty ? nil : result
    }
}
