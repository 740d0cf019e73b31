import Foundation

/// Writes `manifest.json` and `manifest.csv` a letter at a time, so that a
/// bundle of any size holds no more than one entry in memory.
///
/// `manifest.json` comes out as `JSONEncoder` would write the whole
/// `Manifest` (keys sorted, two spaces a level): the letters go to a side file
/// as they come, and `finish` puts the parts together.
final class ManifestWriter {
    private let folder: URL
    private let csv: FileHandle
    private let letters: FileHandle
    private let lettersURL: URL
    private var count = 0
    private let encoder = Manifest.encoder()

    init(folder: URL) throws {
        self.folder = folder
        csv = try Self.create(folder.appendingPathComponent(Manifest.csvFile))
        lettersURL = folder.appendingPathComponent(".letters.json")
        letters = try Self.create(lettersURL)
        try csv.write(contentsOf: Data(Manifest.csvLine(Manifest.csvHeader).utf8))
    }

    func add(_ letter: Manifest.Letter) throws {
        try csv.write(contentsOf: Data(Manifest.csvLine(letter.csvRow).utf8))
        let entry = String(decoding: try encoder.encode(letter), as: UTF8.self)
        try letters.write(contentsOf: Data(((count == 0 ? "" : ",\n") + Self.indent(entry, by: 4)).utf8))
        count += 1
    }

    /// Writes `manifest.json` around the letters, with what is known at the end.
    func finish(batch: String, createdAt: String, streams: [Manifest.Stream], marks: Manifest.Marks,
                totals: Manifest.Totals) throws {
        try csv.synchronize()
        try csv.close()
        try letters.close()
        struct Head: Encodable { var batch, createdAt, format: String }
        struct Tail: Encodable { var marks: Manifest.Marks; var streams: [Manifest.Stream]; var totals: Manifest.Totals }
        let head = String(decoding: try encoder.encode(Head(batch: batch, createdAt: createdAt, format: Manifest.format)),
                          as: UTF8.self)
        let tail = String(decoding: try encoder.encode(Tail(marks: marks, streams: streams, totals: totals)), as: UTF8.self)
        let json = try Self.create(folder.appendingPathComponent(Manifest.jsonFile))
        // Head without its closing brace, the letters, then the tail without its opening one.
        try json.write(contentsOf: Data((head.dropLast(2) + ",\n  \"letters\" : [\n").utf8))
        let source = try FileHandle(forReadingFrom: lettersURL)
        while let chunk = try source.read(upToCount: 1 << 20), !chunk.isEmpty {
            try json.write(contentsOf: chunk)
        }
        try source.close()
        try json.write(contentsOf: Data(("\n  ],\n" + tail.dropFirst(2) + "\n").utf8))
        try json.synchronize()
        try json.close()
        try FileManager.default.removeItem(at: lettersURL)
    }

    private static func create(_ url: URL) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        return try FileHandle(forWritingTo: url)
    }

    private static func indent(_ text: String, by spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return pad + text.replacingOccurrences(of: "\n", with: "\n" + pad)
    }
}
