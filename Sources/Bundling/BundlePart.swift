import Letters

/// A part of a print stream: the letters, by their place in the stream's
/// print order, that go into one PDF file.
public struct BundlePart: Sendable, Equatable {
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
}

/// The letters of one part, handed over in print order, on the thread that
/// draws the part.
public protocol PartLetters: AnyObject {
    /// The next letter, or nil after the last. Throws `BundleWriter.Interrupted`
    /// to stop the cut.
    func next() throws -> BundleLetter?
    /// Called once the part is drawn or has failed, on the same thread.
    func close()
}
