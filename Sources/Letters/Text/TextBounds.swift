/// How much text a field may hold, counted the ways that bound what it costs
/// to check, shape and draw: characters (grapheme clusters) as a person
/// counts them, code points as the machine does, and marks stacked on one
/// character.
///
/// A character alone bounds nothing: "A" followed by two thousand combining
/// acute accents (U+0301) is one character, 4 KB of UTF-8, and seconds of
/// Pango's time. Unicode's stream-safe text format (UAX #15, section 13)
/// allows at most 30 non-starters in a row; no script written on a letter
/// needs a tenth of that, so Courrier allows `marksPerCharacter`.
public enum TextBounds {
    /// The most combining marks (general categories Mn, Mc and Me) on one
    /// character: Vietnamese stacks two, pointed Hebrew with cantillation
    /// four, a Devanagari conjunct three.
    public static let marksPerCharacter = 8
    /// The most code points in one character: an emoji family with skin
    /// tones takes eleven.
    public static let codePointsPerCharacter = 16
    /// Code points a field may hold for each character it may hold.
    public static let codePointsPerAllowedCharacter = 2

    /// What is wrong with `text` for a field of at most `characters`
    /// characters, or nil when it is within bounds. Stops at the first
    /// excess, so a hostile text costs no more than its first bad character.
    public static func problem(in text: String, characters limit: Int) -> String? {
        // Unbounded fields (base64) are never drawn, and are bounded by the document's size.
        guard limit < Int.max else { return nil }
        let (codePointLimit, overflow) = limit.multipliedReportingOverflow(by: codePointsPerAllowedCharacter)
        if !overflow, text.unicodeScalars.count > codePointLimit {
            return "is \(text.unicodeScalars.count) code points long; at most \(codePointLimit) are allowed"
        }
        var count = 0
        for character in text {
            count += 1
            if count > limit {
                return "is \(text.count) characters long; at most \(limit) are allowed"
            }
            let scalars = character.unicodeScalars
            // Most characters are one code point: nothing to count.
            guard scalars.index(after: scalars.startIndex) != scalars.endIndex else { continue }
            var total = 0, marks = 0
            for scalar in scalars {
                total += 1
                switch scalar.properties.generalCategory {
                case .nonspacingMark, .spacingMark, .enclosingMark: marks += 1
                default: break
                }
            }
            if marks > marksPerCharacter {
                return "has \(marks) combining marks on character \(count); at most \(marksPerCharacter) are allowed on one character"
            }
            if total > codePointsPerCharacter {
                return "has \(total) code points in character \(count); at most \(codePointsPerCharacter) are allowed in one character"
            }
        }
        return nil
    }
}
