/// What a print shop's machines must be set up for to run a set of letters:
/// colour or black and white, one side or both, folded or flat. Each stream is
/// a PDF of its own in the bundle.
public struct PrintStream: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var color: Bool
    public var duplex: Bool
    public var envelope: Envelope

    public init(color: Bool, duplex: Bool, envelope: Envelope) {
        self.color = color
        self.duplex = duplex
        self.envelope = envelope
    }

    /// `color-simplex-c56`, `bw-duplex-c4`: the stream's name in the manifest
    /// and in its file name.
    public var name: String {
        "\(color ? "color" : "bw")-\(duplex ? "duplex" : "simplex")-\(envelope.slug)"
    }

    public var description: String { name }

    /// Reads a name written by `name`.
    public init?(name: String) {
        let parts = name.split(separator: "-").map(String.init)
        guard parts.count == 3, ["color", "bw"].contains(parts[0]), ["simplex", "duplex"].contains(parts[1]),
              let envelope = Envelope.allCases.first(where: { $0.slug == parts[2] }) else { return nil }
        self.init(color: parts[0] == "color", duplex: parts[1] == "duplex", envelope: envelope)
    }

    /// Streams run in a fixed order: folded before flat, then black and white
    /// before colour, simplex before duplex.
    public static func < (a: PrintStream, b: PrintStream) -> Bool {
        func rank(_ s: PrintStream) -> (Int, Int, Int, String) {
            (s.envelope.isFlat ? 1 : 0, s.color ? 1 : 0, s.duplex ? 1 : 0, s.envelope.rawValue)
        }
        return rank(a) < rank(b)
    }

    /// Sheets of paper for `pages` pages: every letter starts on a sheet of its
    /// own, and in duplex an odd page count leaves a blank back.
    public func sheets(pages: Int) -> Int {
        duplex ? (pages + 1) / 2 : pages
    }
}
