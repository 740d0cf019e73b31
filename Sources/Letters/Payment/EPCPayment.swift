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

    /// The text encoded in the QR code, within 331 bytes, or nil when even
    /// the shortest allowed form does not fit (the code is then left out,
    /// as EPC069-12 leaves no way to encode it). The name is cut to 70
    /// characters and the free text to 140, as the guideline limits them;
    /// the free text is then shortened to fit, and last the name.
    public var payload: String? {
        // Every element but the name and the free text, with their separators.
        let fixed = elements(name: "", text: "x").utf8.count - (reference == nil ? 1 : 0)
        guard fixed <= Self.maximumBytes else { return nil }
        let name = Self.truncated(beneficiary, to: 70, bytes: Self.maximumBytes - fixed)
        let text = reference == nil
            ? Self.truncated(self.text ?? "", to: 140, bytes: Self.maximumBytes - fixed - name.utf8.count) : ""
        let payload = elements(name: name, text: text)
        return payload.utf8.count <= Self.maximumBytes ? payload : nil
    }

    private func elements(name: String, text: String) -> String {
        let euros = amountCents / 100, cents = amountCents % 100
        var elements = [
            "BCD",                                   // service tag
            "002",                                   // version
            "1",                                     // character set: UTF-8
            "SCT",                                   // SEPA credit transfer
            bic?.code ?? "",
            name,
            iban.compact,
            "EUR\(euros).\(cents < 10 ? "0" : "")\(cents)",
            "",                                      // purpose code
            reference?.digits ?? "",                 // structured remittance information (35)
            reference == nil ? text : "",            // unstructured remittance information (140)
        ]
        while elements.last == "" { elements.removeLast() }
        return elements.joined(separator: "\n")
    }

    /// At most `limit` characters and `bytes` bytes of UTF-8, cut at a
    /// character boundary: a name with marks stacked on its letters is
    /// shortened by whole characters.
    static func truncated(_ text: String, to limit: Int, bytes: Int) -> String {
        var result = "", used = 0, count = 0
        for character in text {
            let size = character.utf8.count
            guard count < limit, used + size <= bytes else { break }
            result.append(character)
            used += size
            count += 1
        }
        return result
    }
}
