import Foundation

/// Reads one JSON object field by field, remembering the path of each field so
/// that every problem names where it is: `recipient.postal_code is missing`.
///
/// Problems are collected, not thrown, so that a document with three mistakes
/// gets all three reported at once.
struct FieldReader {
    let path: String
    let object: [String: JSONValue]
    private let problems: ProblemList

    init(root: [String: JSONValue], problems: ProblemList) {
        self.path = ""
        self.object = root
        self.problems = problems
    }

    private init(path: String, object: [String: JSONValue], problems: ProblemList) {
        self.path = path
        self.object = object
        self.problems = problems
    }

    func fieldPath(_ key: String) -> String {
        if key.isEmpty { return path }
        return path.isEmpty ? key : "\(path).\(key)"
    }

    func report(_ key: String, _ message: String) {
        problems.add(DocumentProblem(field: fieldPath(key), message: message))
    }

    /// A string field; whitespace at the ends is dropped, and an empty string
    /// counts as missing.
    ///
    /// Text is printed on paper, written to logs, terminals and CSV: it may be
    /// at most `limit` characters (`TextBounds`: code points and combining
    /// marks are bounded too) and hold no control character, nor the
    /// Unicode controls that reorder or break what follows them. `multiline`
    /// fields (paragraphs) may hold line breaks; a CR LF counts as one.
    func string(_ key: String, required: Bool = true, limit: Int = FieldReader.textLimit,
                multiline: Bool = false) -> String? {
        switch object[key] {
        case nil, .null?:
            if required { report(key, "is missing") }
            return nil
        case .string(var text)?:
            if multiline { text = text.replacingOccurrences(of: "\r\n", with: "\n") }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty {
                if required { report(key, "is empty") }
                return nil
            }
            if let problem = TextBounds.problem(in: trimmed, characters: limit) {
                report(key, problem)
                return nil
            }
            if let (offset, scalar) = Self.firstForbiddenScalar(in: trimmed, allowingLineBreaks: multiline) {
                report(key, "holds the control character U+\(ControlCharacters.hex(scalar)) at character \(offset + 1)"
                    + (multiline ? "; only text and line breaks are allowed" : "; only printable text on one line is allowed"))
                return nil
            }
            return trimmed
        case let other?:
            report(key, "must be a string, got \(other.kindName)")
            return nil
        }
    }

    /// The most characters of a one-line text field (a name, a street, a unit).
    static let textLimit = 500

    /// The first character that may not appear in text (`ControlCharacters`),
    /// and its position.
    static func firstForbiddenScalar(in text: String, allowingLineBreaks: Bool) -> (Int, Unicode.Scalar)? {
        for (offset, scalar) in text.unicodeScalars.enumerated() where ControlCharacters.isForbidden(scalar) {
            if allowingLineBreaks && scalar == "\n" { continue }
            return (offset, scalar)
        }
        return nil
    }

    func bool(_ key: String, default defaultValue: Bool) -> Bool {
        switch object[key] {
        case nil, .null?: return defaultValue
        case .bool(let value)?: return value
        case let other?:
            report(key, "must be true or false, got \(other.kindName)")
            return defaultValue
        }
    }

    /// A decimal written as a string ("65.00"), as the format requires for
    /// amounts: a JSON number would lose cents to binary floating point.
    func decimal(_ key: String, required: Bool = true) -> DecimalNumber? {
        switch object[key] {
        case nil, .null?:
            if required { report(key, "is missing") }
            return nil
        case .string(let text)?:
            guard let value = DecimalNumber(text) else {
                report(key, "is \(DocumentProblem.quoted(text)), expected a decimal such as \"65.00\"")
                return nil
            }
            return value
        case .number(let number)?:
            report(key, "must be a decimal string such as \"\(number)\", got a number")
            return nil
        case let other?:
            report(key, "must be a decimal string, got \(other.kindName)")
            return nil
        }
    }

    /// A value that must be one of a closed set of words.
    func word<T: RawRepresentable & CaseIterable>(
        _ key: String, as type: T.Type, default defaultValue: T? = nil, required: Bool? = nil
    ) -> T? where T.RawValue == String {
        guard let text = string(key, required: required ?? (defaultValue == nil)) else { return defaultValue }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            report(key, "is \(DocumentProblem.quoted(text)), expected one of \(allowed)")
            return defaultValue
        }
        return value
    }

    func date(_ key: String, required: Bool = true) -> CivilDate? {
        guard let text = string(key, required: required) else { return nil }
        guard let date = CivilDate(text) else {
            report(key, "is \(DocumentProblem.quoted(text)), expected a date written YYYY-MM-DD")
            return nil
        }
        return date
    }

    func object(_ key: String, required: Bool = true) -> FieldReader? {
        switch object[key] {
        case nil, .null?:
            if required { report(key, "is missing") }
            return nil
        case .object(let fields)?:
            return FieldReader(path: fieldPath(key), object: fields, problems: problems)
        case let other?:
            report(key, "must be an object, got \(other.kindName)")
            return nil
        }
    }

    /// The objects of an array field, each with its indexed path (`lines[2]`).
    /// At most `limit` of them: more is reported, and none is read.
    func objects(_ key: String, required: Bool = true, limit: Int = .max) -> [FieldReader] {
        switch object[key] {
        case nil, .null?:
            if required { report(key, "is missing") }
            return []
        case .array(let items)? where items.count > limit:
            report(key, "has \(items.count) entries; at most \(limit) are allowed")
            return []
        case .array(let items)?:
            return items.enumerated().compactMap { index, item in
                let itemPath = "\(fieldPath(key))[\(index)]"
                guard case .object(let fields) = item else {
                    problems.add(DocumentProblem(field: itemPath, message: "must be an object, got \(item.kindName)"))
                    return nil
                }
                return FieldReader(path: itemPath, object: fields, problems: problems)
            }
        case let other?:
            report(key, "must be an array, got \(other.kindName)")
            return []
        }
    }

    /// Which one of `keys` the object gives; nil, with the problem reported,
    /// when it gives none or several.
    func exactlyOne(of keys: [String]) -> String? {
        let given = keys.filter(has)
        guard given.count == 1 else {
            let choices = keys.dropLast().joined(separator: ", ") + " or " + (keys.last ?? "")
            report("", given.isEmpty
                ? "must give one of \(choices)"
                : "gives \(given.joined(separator: " and ")); give exactly one of \(choices)")
            return nil
        }
        return given[0]
    }

    /// The bytes of a base64 string field.
    func base64(_ key: String) -> [UInt8]? {
        // Bounded by the document's size; MIME-style line breaks are allowed.
        guard let text = string(key, limit: .max, multiline: true) else { return nil }
        guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
            report(key, "is not valid base64")
            return nil
        }
        return [UInt8](data)
    }

    func has(_ key: String) -> Bool {
        switch object[key] {
        case nil, .null?: false
        default: true
        }
    }
}

/// Shared by the readers of one document: they all add to the same list.
final class ProblemList {
    private(set) var problems: [DocumentProblem] = []
    func add(_ problem: DocumentProblem) { problems.append(problem) }
}
