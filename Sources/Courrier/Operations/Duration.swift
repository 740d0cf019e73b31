import Foundation

/// A length of time as every Courrier setting writes it: a number and its
/// unit, `90s`, `15m`, `2h`, `90d` (and `ms`, for the shortest polls).
///
/// A bare number is refused: `30` was seconds for one setting and minutes
/// for another, and an operator should never have to guess which.
enum Duration {
    static let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]

    /// The longest duration any setting takes: ten years. Beyond it, seconds
    /// no longer fit the clocks and integers they are turned into.
    static let maximum: TimeInterval = 3650 * 86_400

    /// The seconds `text` says, from `minimum` to ten years; an error names
    /// the setting (`name`) and shows the grammar.
    static func parse(_ text: String, name: String, minimum: TimeInterval = 0.001) throws -> TimeInterval {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            // "5ms" ends in "s" too: the number before the unit must be a plain decimal.
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  let value = Double(number) else { continue }
            let seconds = value * factor
            guard seconds >= minimum else {
                throw MailRoomError.setting(name, is: text, "shorter than \(describe(minimum)), the least it may be")
            }
            guard seconds <= maximum else {
                throw MailRoomError.setting(name, is: text, "longer than \(describe(maximum)), the most it may be")
            }
            return seconds
        }
        throw MailRoomError.setting(name, is: text, expected: "a duration with its unit, such as 90s, 15m, 2h or 90d")
    }

    /// Seconds as the grammar writes them back: `30s`, `15m`, `2h`, `90d`.
    static func describe(_ seconds: TimeInterval) -> String {
        for (suffix, factor) in units.reversed() where seconds >= factor && (seconds / factor).rounded() == seconds / factor {
            return "\(Int(seconds / factor))\(suffix)"
        }
        return String(format: "%gs", seconds)
    }
}
