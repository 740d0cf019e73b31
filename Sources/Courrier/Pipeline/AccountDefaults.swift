import Letters
import Storage

/// What a document leaves to its account, filled in: the envelope window.
/// Each account's window is read from the store once for as long as this
/// lives (a claimed batch, a part of a cut), not once a letter: on a store
/// across the network, that round trip costs more than the letter.
final class AccountDefaults {
    private let store: AccountStore
    private var windows: [String: EnvelopeWindow?] = [:]

    init(store: AccountStore) {
        self.store = store
    }

    func apply(to document: Document) throws -> Document {
        guard document.print.window == nil else { return document }
        var document = document
        if let known = windows[document.account] {
            document.print.window = known
        } else {
            let window = try store.envelopeWindow(account: document.account)
            windows[document.account] = .some(window)
            document.print.window = window
        }
        return document
    }
}
