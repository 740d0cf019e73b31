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

    private static func two(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}
