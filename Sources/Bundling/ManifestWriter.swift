import Foundation

/// Writes the manifest entries of one part of a bundle as its letters are
/// drawn, to files of their own in the bundle's folder; `assemble` puts the
/// parts together, in order, into `manifest.json` and `manifest.csv`, so that
/// a bundle of any size holds no more than one entry in memory.
///
/// Every piece of `manifest.json` is written by `JSONEncoder`, each letter as
/// it comes and the rest at the end: the file is the encoding of `Manifest`,
/// its keys sorted, never text spliced out of another encoding.
final class ManifestWriter {
    private let csv: FileHandle
    private let letters: FileHandle
    private var count = 0
    private let encoder = Manifest.encoder(pretty: false)

    /// The files of part `index`, hidden in the bundle's folder until `assemble`.
    static func fragments(folder: URL, part index: Int) -> (csv: URL, json: URL) {
        (folder.appendingPathComponent(".part-\(index).csv"), folder.appendingPathComponent(".part-\(index).json"))
    }

    init(folder: URL, part index: Int) throws {
        let files = Self.fragments(folder: folder, part: index)
        csv = try Self.create(files.csv)
        letters = try Self.create(files.json)
    }

    func add(_ letter: Manifest.Letter) throws {
        try csv.write(contentsOf: Data(Manifest.csvLine(letter.csvRow).utf8))
        try letters.write(contentsOf: Data((count == 0 ? [] : Array(",".utf8)) + [UInt8](try encoder.encode(letter))))
        count += 1
    }

    func finish() throws {
        try csv.close()
        try letters.close()
    }

    /// Writes `manifest.json` and `manifest.csv` from the fragments of
    /// `parts` parts, and removes the fragments.
    static func assemble(folder: URL, parts: Int, batch: String, createdAt: String, streams: [Manifest.Stream],
                         marks: Manifest.Marks, totals: Manifest.Totals) throws {
        let encoder = Manifest.encoder(pretty: false)
        let csv = try create(folder.appendingPathComponent(Manifest.csvFile))
        try csv.write(contentsOf: Data(Manifest.csvLine(Manifest.csvHeader).utf8))
        let json = try create(folder.appendingPathComponent(Manifest.jsonFile))
        // The members in the order JSONEncoder sorts them, each value encoded by it.
        func member(_ key: String, _ value: some Encodable, last: Bool = false) throws {
            try json.write(contentsOf: Data("\"\(key)\":".utf8) + (try encoder.encode(value)) + Data((last ? "}\n" : ",").utf8))
        }
        try json.write(contentsOf: Data("{".utf8))
        try member("batch", batch)
        try member("created_at", createdAt)
        try member("format", Manifest.format)
        try json.write(contentsOf: Data("\"letters\":[".utf8))
        var written = false
        for index in 0..<parts {
            let fragments = fragments(folder: folder, part: index)
            _ = try append(fragments.csv, to: csv, separator: nil)
            if try append(fragments.json, to: json, separator: written ? Data(",".utf8) : nil) { written = true }
            try FileManager.default.removeItem(at: fragments.csv)
            try FileManager.default.removeItem(at: fragments.json)
        }
        try json.write(contentsOf: Data("],".utf8))
        try member("marks", marks)
        try member("streams", streams)
        try member("totals", totals, last: true)
        for file in [csv, json] {
            try file.synchronize()
            try file.close()
        }
    }

    /// Appends the file at `source` to `target`, after `separator` when it is
    /// not empty; true when it was not.
    private static func append(_ source: URL, to target: FileHandle, separator: Data?) throws -> Bool {
        let handle = try FileHandle(forReadingFrom: source)
        defer { try? handle.close() }
        var first = true
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            if first, let separator { try target.write(contentsOf: separator) }
            first = false
            try target.write(contentsOf: chunk)
        }
        return !first
    }

    private static func create(_ url: URL) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw DurableFile.Failure(operation: "create", path: url.path, code: errno)
        }
        return try FileHandle(forWritingTo: url)
    }
}
