import Foundation

/// ISO 8601 timestamps in UTC, as the store and the log write them:
/// `2026-11-28T10:00:00Z`, or `2026-11-28T10:00:00.123Z` with milliseconds.
///
/// Formatted by hand from `gmtime_r`: a Foundation date formatter is costly to
/// create and is not `Sendable`, and these are written for every transaction
/// and every log line.
public enum UTCTimestamp {
    public static func string(_ date: Date, milliseconds: Bool = false) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
            + "T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        if milliseconds {
            let millis = min(999, Int((interval - interval.rounded(.down)) * 1000))
            text += "." + String(repeating: "0", count: 3 - String(millis).count) + String(millis)
        }
        return text + "Z"
    }

    /// Reads a timestamp written by `string`; nil for anything else.
    public static func date(_ text: String) -> Date? {
        let digits = text.split(whereSeparator: { "-T:Z.".contains($0) }).map { Int($0) }
        guard text.hasSuffix("Z"), digits.count >= 6, digits.allSatisfy({ $0 != nil }) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(digits[0]! - 1900)
        parts.tm_mon = Int32(digits[1]! - 1)
        parts.tm_mday = Int32(digits[2]!)
        parts.tm_hour = Int32(digits[3]!)
        parts.tm_min = Int32(digits[4]!)
        parts.tm_sec = Int32(digits[5]!)
        let millis = digits.count > 6 ? Double(digits[6]!) / 1000 : 0
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)) + millis)
    }

    private static func two(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}
