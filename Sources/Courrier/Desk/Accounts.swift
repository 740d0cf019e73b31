import Foundation
import Letters
import Storage

/// The accounts' side: wallets credited and read, and the envelope window an
/// account's letters are printed for.
public final class Accounts {
    private let store: AccountStore & WalletStore & AddressHoldStore
    private let log: EventLog
    private let clock: () -> Date

    init(store: AccountStore & WalletStore & AddressHoldStore, log: EventLog, clock: @escaping () -> Date) {
        self.store = store
        self.log = log
        self.clock = clock
    }

    /// The most a wallet may hold: far above any postage, far below where
    /// sums of cents overflow 64 bits (or turn into SQLite's floating point).
    public static let maximumBalanceCents: Int64 = 10_000_000_000

    public func balance(account: String) throws -> Int64 {
        try store.balance(account: account)
    }

    public func history(account: String) throws -> [LedgerEntry] {
        try store.history(account: account)
    }

    /// The addresses the account's letters came back from, held until the account lifts them.
    public func addressHolds(account: String) throws -> [AddressHold] {
        try store.addressHolds(account: account)
    }

    /// Lifts the hold the returned letter `job` put on its address: the next letter to it is prepared.
    public func releaseAddressHold(account: String, job: Int64) throws {
        guard try store.releaseAddressHold(account: account, job: job, at: clock()) else {
            throw MailRoomError(.notFound, "account \(account) has no address held by the returned letter \(job); courrier address holds \(account) lists them")
        }
        log.info("address.released", ["account": .string(account), "job": .integer(job)])
    }

    public func credit(account: String, cents: Int64, reference: String) throws -> CreditOutcome {
        try Self.checkName(account)
        guard !reference.isEmpty, reference.count <= 200, !ControlCharacters.occur(in: reference) else {
            throw MailRoomError(.refused, "the reference \"\(ControlCharacters.escaped(String(reference.prefix(60))))\" must be one line "
                                + "of at most 200 characters, without control characters")
        }
        let balance = try store.balance(account: account)
        guard cents <= Self.maximumBalanceCents - max(0, balance) else {
            throw MailRoomError(.refused, "crediting \(Cents.decimalString(cents)) would take the wallet of \(account) over "
                                + "\(Cents.decimalString(Self.maximumBalanceCents)), the most a wallet may hold")
        }
        let outcome = try store.credit(account: account, cents: cents, reference: reference, at: clock())
        if case .credited(let balance) = outcome {
            log.info("wallet.credited", ["account": .string(account), "amount_cents": .integer(cents),
                                         "reference": .string(reference), "balance_cents": .integer(balance)])
        }
        return outcome
    }

    /// The envelope window an account's letters show their address through, when it set one.
    public func envelopeWindow(account: String) throws -> EnvelopeWindow? {
        try store.envelopeWindow(account: account)
    }

    /// Sets the envelope window of an account's letters (nil: back to the
    /// right window); a document's own `print.window` still wins.
    public func setEnvelopeWindow(_ window: EnvelopeWindow?, account: String) throws {
        try Self.checkName(account)
        try store.setEnvelopeWindow(window, account: account, at: clock())
        log.info("account.window_set", ["account": .string(account),
                                        "window": .string(window?.rawValue ?? EnvelopeWindow.right.rawValue)])
    }

    private static func checkName(_ account: String) throws {
        guard DocumentParser.Identity.isValidAccount(account) else {
            throw MailRoomError(.refused, "account \"\(account)\" is not a valid account name")
        }
    }
}
