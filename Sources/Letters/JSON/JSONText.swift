/// JSON written by hand, where the order of the keys is Courrier's to
/// choose: log lines, events, the webhook's body.
public enum JSONText {
    /// A JSON string literal. Control characters, bidirectional overrides
    /// and the like are escaped, so that what a customer typed reaches a
    /// terminal or a log reader as text.
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where ControlCharacters.isForbidden(scalar):
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
