import Foundation
import Testing
@testable import Courrier
import Letters

/// The README is written by hand; what it says of the command line is held
/// to the declarations, so that it cannot drift from them.
@Suite struct ReadmeTests {
    private let readme: String

    init() throws {
        readme = try String(contentsOf: Paths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// The headings of levels 2 and 3, outside code blocks, in order.
    private var headings: [(level: Int, title: String)] {
        var inCode = false
        var found: [(Int, String)] = []
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inCode.toggle() }
            guard !inCode else { continue }
            for (prefix, level) in [("### ", 3), ("## ", 2)] where line.hasPrefix(prefix) {
                found.append((level, String(line.dropFirst(prefix.count))))
                break
            }
        }
        return found
    }

    @Test func theContentsListEveryHeadingInOrder() throws {
        let sections = headings.filter { $0.title != "Contents" }
        let contents = readme.components(separatedBy: "## Contents\n\n").dropFirst().first?
            .components(separatedBy: "\n\n").first ?? ""
        let entries = contents.split(separator: "\n").map(String.init)
        #expect(entries.count == sections.count, "\(entries.count) entries for \(sections.count) headings")
        for (entry, section) in zip(entries, sections) {
            let anchor = section.title.lowercased().filter { $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" }
                .replacingOccurrences(of: " ", with: "-")
            let indent = section.level == 2 ? "" : "  "
            #expect(entry == "\(indent)- [\(section.title)](#\(anchor))")
        }
    }

    @Test func theSettingsTableHasEverySettingOfTheTable() {
        let table = readme.components(separatedBy: "### Settings\n").dropFirst().first ?? ""
        for setting in CommandTable.settings {
            #expect(table.contains("`\(setting.key)`"), "\(setting.key) is not in the README's settings")
            if let option = setting.option {
                #expect(table.contains("| `--\(option) "), "--\(option) is not in the README's settings")
            }
        }
    }

    @Test func theOperationsListEveryVerb() {
        let operations = readme.components(separatedBy: "## Operations\n").dropFirst().first?
            .components(separatedBy: "```").dropFirst().first ?? ""
        for verb in CommandTable.verbs {
            let call = verb.name == "version" ? "courrier --version" : "courrier \(verb.name)"
            #expect(operations.contains("\n\(call)"), "\(verb.name) is not among the README's verbs")
        }
    }
}

extension ReadmeTests {
    @Test func theFailureCodesAreThoseTheStoreWrites() {
        let table = readme.components(separatedBy: "### Failure codes\n").dropFirst().first?
            .components(separatedBy: "\n## ").first ?? ""
        let listed = table.split(separator: "\n").filter { $0.hasPrefix("| `") }
            .compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) }
        #expect(listed == FailureCode.allCases.map(\.rawValue))
    }

    /// What each target may import, as the Layout table says it: held to
    /// Package.swift, so that the table of the house is the one that builds.
    @Test func theLayoutNamesWhatEachTargetImportsAsThePackageDoes() throws {
        let package = try String(contentsOf: Paths.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        var built: [String: Set<String>] = [:]
        let target = try Regex(#"\.(?:executableT|t)arget\(\s*name: "([^"]+)",\s*dependencies: \[([^\]]*)\]"#)
        for match in package.matches(of: target) {
            guard let name = match.output[1].substring, let dependencies = match.output[2].substring else { continue }
            built[String(name)] = Set(dependencies.split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            })
        }
        built["Letters"] = []
        let layout = readme.components(separatedBy: "## Layout\n").dropFirst().first ?? ""
        var written: [String: Set<String>] = [:]
        for row in layout.split(separator: "\n") where row.hasPrefix("| `") {
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 3, !cells[1].contains(",") else { continue }
            let imports = cells[2].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            written[cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = Set(imports)
        }
        #expect(!built.isEmpty)
        #expect(written == built)
    }
}
