/// The characters that must never reach paper, a terminal, a log line or a
/// CSV cell as they are: C0 and C1 controls, DEL, and the Unicode separators
/// and bidirectional controls that split a line or reorder what follows
/// (U+2028, U+2029, U+202A–U+202E, U+2066–U+2069; the "Trojan Source" ones).
public enum ControlCharacters {
    public static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// True when `text` holds one of them.
    public static func occur(in text: String) -> Bool {
        text.unicodeScalars.contains(where: isForbidden)
    }

    /// `text` with each of them written as `\u{XXXX}`, but those in `keeping`
    /// (a newline in a multi-line answer): what a terminal shows safely.
    public static func escaped(_ text: String, keeping: Set<Unicode.Scalar> = []) -> String {
        guard occur(in: text) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isForbidden(scalar) && !keeping.contains(scalar) {
                result += "\\u{\(hex(scalar))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The code point in four or more uppercase hexadecimal digits.
    public static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
