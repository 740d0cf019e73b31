/// Why a cut in hand was not published, said by what found it. The letters
/// stay in the cut; the claim is given back, and the next round finishes it
/// unless another process has.
struct CutError: Error, CustomStringConvertible {
    enum Code: String, Sendable {
        /// Another process took the cut over (its lease ran out): this one publishes nothing.
        case takenOver = "taken_over"
        /// A process drawing a part of it failed.
        case partFailed = "part_failed"
        /// Poppler counts other pages in the printed stream than the letters were charged for.
        case pageCountMismatch = "page_count_mismatch"
        /// The store holds letters of a stream this build does not know.
        case unknownStream = "unknown_stream"
    }

    var code: Code
    var batch: String
    var message: String

    init(_ code: Code, batch: String, _ message: String) {
        self.code = code
        self.batch = batch
        self.message = message
    }

    var description: String { message }
}
