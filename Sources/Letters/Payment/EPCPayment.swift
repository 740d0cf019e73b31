/// The SEPA credit transfer a payment QR code carries, as the European
/// Payments Council's guideline EPC069-12 (version 002) lays it out: a banking
/// app that scans it fills in beneficiary, IBAN, amount and reference.
///
/// The payload is the data elements below, separated by a line feed, UTF-8
/// (character set 1), at most 331 bytes; the last element present is not
/// followed by a separator. The code is drawn with error correction M.
public struct EPCPayment: Sendable, Equatable {
    public var beneficiary: String
    public var iban: IBAN
    /// Optional in version 002 inside the EEA.
    public var bic: BIC?
    public var amountCents: Int64
    /// The Belgian structured communication, in the structured reference element.
    public var reference: StructuredCommunication?
    /// Free text for the payer, used when there is no structured reference.
    public var text: String?

    public static let maximumBytes = 331

    public init(beneficiary: String, iban: IBAN, bic: BIC?, amountCents: Int64,
                reference: StructuredCommunication?, text: String?) {
        self.beneficiary = beneficiary
        self.iban = iban
        self.bic = bic
        self.amountCents = amountCents
        self.reference = reference
        self.text = text
    }

    /// The payment a document asks for: invoices and reminders with an amount
    /// due and the sender's IBAN. Nil when there is nothing to pay or no account to pay into.
    public init?(_ document: Document, text: String?) {
        guard document.kind.asksForPayment, document.totals.grossCents > 0,
              document.totals.grossCents <= 99_999_999_999, let iban = document.sender.iban else { return nil }
        self.init(beneficiary: document.sender.address.name, iban: iban, bic: document.sender.bic,
                  amountCents: document.totals.grossCents, reference: document.paymentReference, text: text)
    }

    /// The text encoded in the QR code, within 331 bytes: a free text that
    /// would go over is shortened.
    public var payload: String {
        var text = Self.truncated(self.text ?? "", to: 140)
        var payload = elements(text: text)
        while payload.utf8.count > Self.maximumBytes && !text.isEmpty {
            text.removeLast()
            payload = elements(text: text)
        }
        return payload
    }

    private func elements(text: String) -> String {
        let euros = amountCents / 100, cents = amountCents % 100
        var elements = [
            "BCD",                                   // service tag
            "002",                                   // version
            "1",                                     // character set: UTF-8
            "SCT",                                   // SEPA credit transfer
            bic?.code ?? "",
            Self.truncated(beneficiary, to: 70),
            iban.compact,
            "EUR\(euros).\(cents < 10 ? "0" : "")\(cents)",
            "",                                      // purpose code
            reference?.digits ?? "",                 // structured remittance information (35)
            reference == nil ? text : "",            // unstructured remittance information (140)
        ]
        while elements.last == "" { elements.removeLast() }
        return elements.joined(separator: "\n")
    }

    /// At most `limit` characters, cut at a character boundary.
    static func truncated(_ text: String, to limit: Int) -> String {
        String(text.prefix(limit))
    }
}
