import Foundation

/// A configuration file in systemd's EnvironmentFile format: `KEY=VALUE`
/// lines, `#` or `;` comments, values optionally in single or double quotes.
/// The same file serves `EnvironmentFile=` in a unit and `--config` by hand.
public enum ConfigFile {
    /// Keys whose values are never printed.
    public static let secretKeys: Set<String> = ["COURRIER_SSH_PASSPHRASE"]

    public static func read(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MailRoomError(.configurationFile, subject: path, "cannot read the configuration file \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    static func parse(_ text: String, file: String) throws -> [String: String] {
        // Editors on some systems begin a UTF-8 file with a byte-order mark.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        var values: [String: String] = [:]
        var pending = ""
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            // A backslash at the end joins the next line, as systemd does.
            if line.hasSuffix("\\") {
                pending += line.dropLast()
                continue
            }
            line = (pending + line).trimmingCharacters(in: .whitespaces)
            pending = ""
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                // The line is not echoed: it may hold a secret written the wrong way.
                let start = line.prefix { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }
                throw MailRoomError(.configurationFile, subject: file, "\(file) line \(lineNumber) is not KEY=VALUE"
                    + (start.isEmpty ? "" : " (it starts with \(start) and has no '=')"))
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let keys = Configuration.settingKeys.map(\.key)
            guard keys.contains(key) else {
                throw MailRoomError(.configurationFile, subject: file, "\(file) line \(lineNumber): unknown key \(key); the keys are \(keys.joined(separator: ", "))")
            }
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
                if first == "\"" { value = value.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\") }
            }
            values[key] = value
        }
        guard pending.isEmpty else {
            // systemd would join the line to nothing; a setting would be lost without a word.
            throw MailRoomError(.configurationFile, subject: file, "\(file) line \(lineNumber) ends with a backslash, which joins a next line the file does not have")
        }
        return values
    }
}
