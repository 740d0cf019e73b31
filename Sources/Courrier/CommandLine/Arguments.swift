/// The command line, split into positional words, options with values, and flags.
struct Arguments {
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    var positional: [String] = []
    var options: [String: String] = [:]
    var flags: Set<String> = []

    /// Options that take a value; everything else that starts with `--` is a flag.
    static let valued = CommandTable.valuedOptions
    static let flagNames = CommandTable.flagOptions
    static let aliases = ["o": "output", "h": "help"]

    init(_ words: [String]) throws(UsageError) {
        var index = 0
        var onlyPositional = false
        while index < words.count {
            let word = words[index]
            index += 1
            if onlyPositional || !word.hasPrefix("-") || word == "-" {
                positional.append(word)
                continue
            }
            if word == "--" {
                onlyPositional = true
                continue
            }
            var name = String(word.drop(while: { $0 == "-" }))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            name = Self.aliases[name] ?? name
            if Self.valued.contains(name) {
                if value == nil {
                    guard index < words.count else { throw UsageError(description: "--\(name) needs a value") }
                    value = words[index]
                    index += 1
                }
                options[name] = value
            } else if Self.flagNames.contains(name), value == nil {
                flags.insert(name)
            } else {
                throw UsageError(description: "unknown option \(word)")
            }
        }
    }
}
