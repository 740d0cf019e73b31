import Foundation
import Bundling
import Letters
import Storage

/// Opens the letters of each part of a cut for the thread that draws it.
final class CutSource: @unchecked Sendable {
    // @unchecked Sendable: every field is set at init and only read after.
    // `store` is set only when parts are drawn one after another on the
    // calling thread; otherwise each part opens a connection of its own
    // through `openStore`, which opens a new SQLite connection each call.
    private let batch: String
    private let slots: [String: [(position: PrintPosition, sheets: Int)]]
    private let store: LetterStore?
    private let openStore: (() throws -> LetterStore)?
    private let configuration: Configuration
    private let tariff: Tariff
    private let shouldStop: @Sendable () -> Bool
    private let advance: @Sendable () -> Void

    init(batch: String, slots: [String: [(position: PrintPosition, sheets: Int)]], store: LetterStore?,
         openStore: (() throws -> LetterStore)?, configuration: Configuration, tariff: Tariff,
         shouldStop: @escaping @Sendable () -> Bool, advance: @escaping @Sendable () -> Void) {
        self.batch = batch
        self.slots = slots
        self.store = store
        self.openStore = openStore
        self.configuration = configuration
        self.tariff = tariff
        self.shouldStop = shouldStop
        self.advance = advance
    }

    /// The letters of `part`, after the letter before its first in the stream.
    func letters(_ part: BundlePart) throws -> PartLetters {
        let stream = slots[part.stream.name] ?? []
        let after = part.letters.lowerBound > 0 && part.letters.lowerBound <= stream.count
            ? stream[part.letters.lowerBound - 1].position : nil
        let connection: LetterStore
        if let store {
            connection = store
        } else if let openStore {
            connection = try openStore()
        } else {
            throw MailRoomError("no store to read bundle \(batch) from")
        }
        return CutLetters(store: connection, ownsStore: store == nil, batch: batch, stream: part.stream, after: after,
                          count: part.letters.count,
                          intake: Intake(opener: IsolatedOpener(limits: configuration.untrusted), tariff: tariff),
                          shouldStop: shouldStop, advance: advance)
    }
}
