import Letters

/// The words printed on a letter, in the document's language.
struct Labels {
    var title: [DocumentKind: String]
    var number: String
    var issueDate: String
    var dueDate: String
    var validUntil: String
    var description: String
    var quantity: String
    var unitPrice: String
    var vat: String
    var amount: String
    var netTotal: String
    var vatOn: String
    var grossTotal: String
    var creditTotal: String
    var payTitle: String
    var payInstruction: String
    var account: String
    var reference: String
    var continued: String
    var page: String
    var terms: String
    var vatNumber: String
    var scanToPay: String

    static func forLanguage(_ language: Language) -> Labels {
        switch language {
        case .fr:
            Labels(
                title: [.invoice: "Facture", .creditNote: "Note de crédit", .offer: "Offre", .reminder: "Rappel", .letter: ""],
                number: "Numéro", issueDate: "Date", dueDate: "Échéance", validUntil: "Valable jusqu'au",
                description: "Description", quantity: "Quantité", unitPrice: "Prix unitaire", vat: "TVA", amount: "Montant",
                netTotal: "Total hors TVA", vatOn: "TVA %@ sur %@", grossTotal: "Total TVA comprise", creditTotal: "Montant crédité",
                payTitle: "Paiement", payInstruction: "Merci de verser %@ au plus tard le %@.",
                account: "Compte", reference: "Communication", continued: "suite", page: "Page",
                terms: "Conditions générales", vatNumber: "TVA", scanToPay: "Scannez pour payer")
        case .nl:
            Labels(
                title: [.invoice: "Factuur", .creditNote: "Creditnota", .offer: "Offerte", .reminder: "Herinnering", .letter: ""],
                number: "Nummer", issueDate: "Datum", dueDate: "Vervaldatum", validUntil: "Geldig tot",
                description: "Omschrijving", quantity: "Aantal", unitPrice: "Eenheidsprijs", vat: "Btw", amount: "Bedrag",
                netTotal: "Totaal excl. btw", vatOn: "Btw %@ op %@", grossTotal: "Totaal incl. btw", creditTotal: "Gecrediteerd bedrag",
                payTitle: "Betaling", payInstruction: "Gelieve %@ te betalen uiterlijk op %@.",
                account: "Rekening", reference: "Mededeling", continued: "vervolg", page: "Pagina",
                terms: "Algemene voorwaarden", vatNumber: "Btw", scanToPay: "Scan om te betalen")
        case .de:
            Labels(
                title: [.invoice: "Rechnung", .creditNote: "Gutschrift", .offer: "Angebot", .reminder: "Zahlungserinnerung", .letter: ""],
                number: "Nummer", issueDate: "Datum", dueDate: "Fällig am", validUntil: "Gültig bis",
                description: "Beschreibung", quantity: "Menge", unitPrice: "Einzelpreis", vat: "MwSt.", amount: "Betrag",
                netTotal: "Summe ohne MwSt.", vatOn: "MwSt. %@ auf %@", grossTotal: "Gesamt inkl. MwSt.", creditTotal: "Gutgeschriebener Betrag",
                payTitle: "Zahlung", payInstruction: "Bitte überweisen Sie %@ bis spätestens %@.",
                account: "Konto", reference: "Mitteilung", continued: "Fortsetzung", page: "Seite",
                terms: "Allgemeine Geschäftsbedingungen", vatNumber: "MwSt.", scanToPay: "Zum Bezahlen scannen")
        case .en:
            Labels(
                title: [.invoice: "Invoice", .creditNote: "Credit note", .offer: "Quotation", .reminder: "Payment reminder", .letter: ""],
                number: "Number", issueDate: "Date", dueDate: "Due date", validUntil: "Valid until",
                description: "Description", quantity: "Quantity", unitPrice: "Unit price", vat: "VAT", amount: "Amount",
                netTotal: "Total excl. VAT", vatOn: "VAT %@ on %@", grossTotal: "Total incl. VAT", creditTotal: "Amount credited",
                payTitle: "Payment", payInstruction: "Please pay %@ by %@.",
                account: "Account", reference: "Reference", continued: "continued", page: "Page",
                terms: "Terms and conditions", vatNumber: "VAT", scanToPay: "Scan to pay")
        }
    }

    /// Fills the `%@` slots of a label in order.
    static func fill(_ template: String, _ values: String...) -> String {
        var result = ""
        var remaining = values[...]
        var rest = Substring(template)
        while let range = rest.range(of: "%@") {
            result += rest[..<range.lowerBound]
            result += remaining.popFirst() ?? ""
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
