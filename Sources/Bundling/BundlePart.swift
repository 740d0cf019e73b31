import Letters

/// A part of a print stream: the letters, by their place in the stream's
/// print order, that go into one PDF file.
public struct BundlePart: Sendable, Equatable, Codable {
    /// Its place among all the parts of the bundle, from 0: the order of the manifest.
    public var index: Int
    public var stream: PrintStream
    /// From 1, of `of` parts of the stream.
    public var number: Int
    public var of: Int
    /// The letters' places in the stream's print order, from 0.
    public var letters: Range<Int>
    /// The first letter's sequence in the bundle, from 1.
    public var firstSequence: Int
    /// Sheets of the stream before this part: the inserter marks number
    /// sheets across the stream.
    public var sheetsBefore: Int
    public var file: String

    private enum CodingKeys: String, CodingKey {
        case index, stream, number, of, first, count, firstSequence, sheetsBefore, file
    }

    public init(index: Int, stream: PrintStream, number: Int, of: Int, letters: Range<Int>, firstSequence: Int,
                sheetsBefore: Int, file: String) {
        self.index = index
        self.stream = stream
        self.number = number
        self.of = of
        self.letters = letters
        self.firstSequence = firstSequence
        self.sheetsBefore = sheetsBefore
        self.file = file
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .stream)
        guard let stream = PrintStream(name: name) else {
            throw DecodingError.dataCorruptedError(forKey: .stream, in: container, debugDescription: "unknown stream \(name)")
        }
        let first = try container.decode(Int.self, forKey: .first), count = try container.decode(Int.self, forKey: .count)
        guard first >= 0, count >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .count, in: container, debugDescription: "no such letters")
        }
        self.init(index: try container.decode(Int.self, forKey: .index), stream: stream,
                  number: try container.decode(Int.self, forKey: .number), of: try container.decode(Int.self, forKey: .of),
                  letters: first..<first + count, firstSequence: try container.decode(Int.self, forKey: .firstSequence),
                  sheetsBefore: try container.decode(Int.self, forKey: .sheetsBefore),
                  file: try container.decode(String.self, forKey: .file))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(stream.name, forKey: .stream)
        try container.encode(number, forKey: .number)
        try container.encode(of, forKey: .of)
        try container.encode(letters.lowerBound, forKey: .first)
        try container.encode(letters.count, forKey: .count)
        try container.encode(firstSequence, forKey: .firstSequence)
        try container.encode(sheetsBefore, forKey: .sheetsBefore)
        try container.encode(file, forKey: .file)
    }
}

/// The letters of one part, handed over in print order, on the thread that
/// draws the part.
public protocol PartLetters: AnyObject {
    /// The next letter, or nil after the last. Throws `BundleWriter.Interrupted`
    /// to stop the cut, and `BundleWriter.LetterFailure` for a letter that
    /// cannot be read: the next call goes on with the letter after it.
    func next() throws -> BundleLetter?
    /// Called once the part is drawn or has failed, on the same thread.
    func close()
}
