import Foundation
import Bundling
import Letters
import Storage

/// Opens the letters of each part of a cut drawn in this process.
final class CutSource: @unchecked Sendable {
    // @unchecked Sendable: every field is set at init and only read after,
    // and the bundle writer draws parts in this process one after another,
    // on the thread that asked for the cut (parts drawn at once go to
    // processes of their own, `PartProcess`): `store` stays on that thread.
    private let batch: String
    private let slots: [String: [(position: PrintPosition, sheets: Int)]]
    private let store: CutStore
    private let configuration: Configuration
    private let tariff: Tariff
    private let shouldStop: @Sendable () -> Bool
    private let advance: @Sendable () -> Void

    init(batch: String, slots: [String: [(position: PrintPosition, sheets: Int)]], store: CutStore,
         configuration: Configuration, tariff: Tariff,
         shouldStop: @escaping @Sendable () -> Bool, advance: @escaping @Sendable () -> Void) {
        self.batch = batch
        self.slots = slots
        self.store = store
        self.configuration = configuration
        self.tariff = tariff
        self.shouldStop = shouldStop
        self.advance = advance
    }

    /// Where `part` starts: the letter before its first in the stream's
    /// print order, nil for the stream's first part.
    func position(before part: BundlePart) -> PrintPosition? {
        let stream = slots[part.stream.name] ?? []
        return part.letters.lowerBound > 0 && part.letters.lowerBound <= stream.count
            ? stream[part.letters.lowerBound - 1].position : nil
    }

    /// The letters of `part`, drawn in this process.
    func letters(_ part: BundlePart) throws -> PartLetters {
        CutLetters(store: store, batch: batch, stream: part.stream, after: position(before: part),
                   count: part.letters.count, intake: Intake(configuration, tariff: tariff),
                   termsBudget: configuration.termsMemory, shouldStop: shouldStop, advance: advance)
    }
}
