import Foundation

/// Reads and checks a `courrier.document/1` document.
///
/// Everything that can be checked without rendering is checked here, and every
/// problem is reported with its field path, so that whoever fixes the document
/// fixes it once.
public enum DocumentParser {
    /// The identity of a document, readable even when the rest is wrong, so that
    /// a bad document still becomes a failed job with its reason instead of
    /// vanishing.
    public struct Identity: Sendable, Equatable {
        public var account: String
        public var id: String

        /// Letters, digits, '.', '-' and '_', at most 100: safe in a file name,
        /// a log line and a CSV cell.
        public static func isValidAccount(_ text: String) -> Bool {
            !text.isEmpty && text.count <= 100 && text.allSatisfy {
                $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".")
            }
        }
    }

    /// The account and id, or an error naming what is missing.
    public static func identity(of data: Data) throws(DocumentError) -> Identity {
        let root = try rootObject(data)
        let problems = ProblemList()
        let reader = FieldReader(root: root, problems: problems)
        let account = reader.string("account")
        let id = reader.string("id")
        if let account, !Identity.isValidAccount(account) {
            reader.report("account", "is \(DocumentProblem.quoted(account)), expected letters, digits, '.', '-' or '_' (at most 100)")
        }
        if let id, id.count > 200 {
            reader.report("id", "is \(id.count) characters long, at most 200 are allowed")
        }
        guard let account, let id, problems.problems.isEmpty else { throw DocumentError(problems.problems) }
        return Identity(account: account, id: id)
    }

    /// Limits that bound what a document can cost to check and draw before it
    /// is drawn: a letter may have 50 pages, which no more lines than these fill.
    public static let maximumBytes = 16 * 1024 * 1024
    public static let maximumLines = 1_000
    /// The most VAT rates one document's totals list: Belgium has four, and
    /// a longer list would push the totals and the payment slip off the page.
    public static let maximumVATRates = 12
    public static let descriptionLimit = 1_000
    public static let paragraphsLimit = 10_000
    public static let termsTextLimit = 200_000
    /// The largest net of one line, 999,999,999.99 EUR: what fits the
    /// amount column, and with `maximumLines` lines far from 64 bits.
    public static let maximumLineCents: Int64 = 99_999_999_999

    public static func parse(_ data: Data) throws(DocumentError) -> Document {
        let root = try rootObject(data)
        let problems = ProblemList()
        let reader = FieldReader(root: root, problems: problems)

        if let format = reader.string("format"), format != Document.format {
            reader.report("format", "is \(DocumentProblem.quoted(format)), expected \"\(Document.format)\"")
        }
        let account = reader.string("account")
        let id = reader.string("id")
        let kind = reader.word("kind", as: DocumentKind.self)
        let language = reader.word("language", as: Language.self)
        let number = reader.string("number", required: kind != nil && kind != .letter)
        let issueDate = reader.date("issue_date")
        let dueDate = reader.date("due_date", required: false)
        if let issueDate, let dueDate, dueDate < issueDate {
            reader.report("due_date", "is \(dueDate), before the issue date \(issueDate)")
        }
        let currency = reader.string("currency", required: false) ?? "EUR"
        if currency != "EUR" {
            reader.report("currency", "is \(DocumentProblem.quoted(currency)); Courrier mails documents in EUR only")
        }
        let sender = reader.object("sender").flatMap { readSender($0) }
        let recipient = reader.object("recipient").flatMap { readAddress($0) }

        let lines = reader.objects("lines", required: kind != .letter, limit: Self.maximumLines).compactMap(readLine)
        if kind != nil, kind != .letter, reader.has("lines"), lines.isEmpty, problems.problems.isEmpty {
            reader.report("lines", "is empty; a \(kind!.rawValue) lists at least one line")
        }
        let totals = InvoiceTotals(lines: lines)
        if totals.vatGroups.count > Self.maximumVATRates {
            reader.report("lines", "use \(totals.vatGroups.count) different VAT rates; a letter lists at most \(Self.maximumVATRates) in its totals")
        }
        if let stated = reader.object("totals", required: false) {
            checkTotals(stated, against: totals)
        }

        var paymentReference: StructuredCommunication?
        if let payment = reader.object("payment", required: false),
           let text = payment.string("reference", required: false) {
            do {
                paymentReference = try StructuredCommunication(text)
            } catch {
                payment.report("reference", error.description)
            }
        }
        let notes = reader.string("notes", required: false, limit: Self.paragraphsLimit, multiline: true)
        let body = reader.string("body", required: false, limit: Self.paragraphsLimit, multiline: true)
        let terms = reader.object("terms", required: false).flatMap(readTerms)
        let print = reader.object("print", required: false).map(readPrint) ?? PrintOptions()

        if let recipient, let language {
            for problem in recipient.problems(field: "recipient", language: language) {
                problems.add(problem)
            }
        }

        guard problems.problems.isEmpty,
              let account, let id, let kind, let language, let issueDate, let sender, let recipient else {
            throw DocumentError(problems.problems)
        }
        return Document(
            account: account, id: id, kind: kind, language: language, number: number,
            issueDate: issueDate, dueDate: dueDate, currency: currency, sender: sender,
            recipient: recipient, lines: lines, totals: totals, paymentReference: paymentReference,
            notes: notes, body: body, terms: terms, print: print)
    }

    private static func rootObject(_ data: Data) throws(DocumentError) -> [String: JSONValue] {
        guard data.count <= maximumBytes else {
            throw DocumentError(field: "", "is \(data.count / 1024 / 1024) MiB; a document may be at most \(maximumBytes / 1024 / 1024) MiB, terms and logo included")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw DocumentError(field: "", "is not valid JSON: \(describe(error))")
        }
        guard case .object(let root) = value else {
            throw DocumentError(field: "", "must be a JSON object, got \(value.kindName)")
        }
        return root
    }

    private static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return String(describing: error)
    }

    private static func readAddress(_ reader: FieldReader) -> PostalAddress? {
        let name = reader.string("name")
        let department = reader.string("department", required: false)
        let attention = reader.string("attention", required: false)
        let street = reader.string("street")
        let streetExtra = reader.string("street2", required: false)
        let postalCode = reader.string("postal_code")
        let city = reader.string("city")
        let country = reader.string("country")
        guard let name, let street, let postalCode, let city, let country else { return nil }
        return PostalAddress(name: name, department: department, attention: attention, street: street, streetExtra: streetExtra,
                             postalCode: postalCode, city: city, country: country)
    }

    private static func readSender(_ reader: FieldReader) -> Sender? {
        guard let address = readAddress(reader) else { return nil }
        func checked<Value>(_ field: String, _ make: (String) throws(PaymentDetailProblem) -> Value) -> Value? {
            guard let text = reader.string(field, required: false) else { return nil }
            do throws(PaymentDetailProblem) { return try make(text) } catch {
                reader.report(field, error.description)
                return nil
            }
        }
        return Sender(
            address: address,
            vat: checked("vat", VATNumber.init),
            iban: checked("iban", IBAN.init),
            bic: checked("bic", BIC.init),
            email: reader.string("email", required: false),
            phone: reader.string("phone", required: false),
            logo: reader.object("logo", required: false).flatMap(readLogo),
            accentColor: readColor(reader, "accent_color"))
    }

    /// `{"png": PATH}` or `{"png_base64": "..."}`; the image itself is checked
    /// when it is read.
    private static func readLogo(_ reader: FieldReader) -> LogoSource? {
        switch reader.exactlyOne(of: ["png", "png_base64"]) {
        case "png":
            return readRelativePath(reader, "png").map(LogoSource.pngFile)
        case "png_base64":
            return reader.base64("png_base64").map(LogoSource.pngData)
        default:
            return nil
        }
    }

    private static func readColor(_ reader: FieldReader, _ key: String) -> RGBColor? {
        guard let text = reader.string(key, required: false) else { return nil }
        guard let color = RGBColor(hex: text) else {
            reader.report(key, "is \(DocumentProblem.quoted(text)), expected a colour written #RRGGBB such as #1F4E79")
            return nil
        }
        return color
    }

    private static func readLine(_ reader: FieldReader) -> InvoiceLine? {
        let description = reader.string("description", limit: Self.descriptionLimit)
        let quantity = reader.decimal("quantity")
        let unit = reader.string("unit", required: false)
        let unitPrice = reader.decimal("unit_price")
        let vatRate = reader.decimal("vat_rate")
        if let vatRate, vatRate.isNegative || vatRate > DecimalNumber(significand: 100, scale: 0) {
            reader.report("vat_rate", "is \(vatRate), expected a percentage from 0 to 100")
        }
        guard let description, let quantity, let unitPrice, let vatRate else { return nil }
        guard let net = quantity.multiplied(by: unitPrice)?.cents, net.magnitude <= Self.maximumLineCents else {
            reader.report("quantity", "is \(quantity) and unit_price \(unitPrice): their product is beyond the largest amount of a line, \(Cents.decimalString(Self.maximumLineCents)) EUR")
            return nil
        }
        return InvoiceLine(description: description, quantity: quantity, unit: unit,
                           unitPrice: unitPrice, vatRate: vatRate, netCents: net)
    }

    private static func checkTotals(_ reader: FieldReader, against totals: InvoiceTotals) {
        let stated: [(key: String, cents: Int64)] = [
            ("net", totals.netCents), ("vat", totals.vatCents), ("gross", totals.grossCents),
        ]
        for (key, computed) in stated {
            guard let value = reader.decimal(key, required: false) else { continue }
            if value != DecimalNumber(significand: computed, scale: 2) {
                reader.report(key, "is \(value) but the lines add up to \(Cents.decimalString(computed)) (totals mismatch)")
            }
        }
    }

    private static func readTerms(_ reader: FieldReader) -> TermsSource? {
        switch reader.exactlyOne(of: ["pdf", "pdf_base64", "text"]) {
        case "pdf":
            return readRelativePath(reader, "pdf").map(TermsSource.pdfFile)
        case "pdf_base64":
            return reader.base64("pdf_base64").map(TermsSource.pdfData)
        case "text":
            return reader.string("text", limit: Self.termsTextLimit, multiline: true).map(TermsSource.text)
        default:
            return nil
        }
    }

    /// A file named relative to the document's folder, never leaving it.
    private static func readRelativePath(_ reader: FieldReader, _ key: String) -> String? {
        guard let path = reader.string(key) else { return nil }
        guard isInsideFolder(path) else {
            reader.report(key, "is \(DocumentProblem.quoted(path)), which leaves the document's folder; give a path relative to it")
            return nil
        }
        return path
    }

    /// True for a relative path that never climbs above its starting folder.
    static func isInsideFolder(_ path: String) -> Bool {
        guard !path.hasPrefix("/"), !path.hasPrefix("~"), !path.contains("\0") else { return false }
        var depth = 0
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": depth -= 1
            default: depth += 1
            }
            if depth < 0 { return false }
        }
        return depth > 0
    }

    private static func readPrint(_ reader: FieldReader) -> PrintOptions {
        PrintOptions(
            color: reader.bool("color", default: true),
            duplex: reader.bool("duplex", default: false),
            window: reader.word("window", as: EnvelopeWindow.self, required: false))
    }
}
