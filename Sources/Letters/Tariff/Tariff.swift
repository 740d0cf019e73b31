import Foundation

/// What a letter costs the customer: by destination and page count, in cents.
///
/// The price includes stamp, envelope, paper and print. A destination the
/// tariff does not list cannot be mailed: the job fails before any charge.
public struct Tariff: Sendable, Equatable {
    public static let format = "courrier.tariff/1"

    /// Prices by page count.
    public struct Schedule: Sendable, Equatable {
        /// `pageCents[0]` is the price of a one-page letter, `[1]` of two pages.
        public var pageCents: [Int64]
        /// Added for each page beyond the last listed price.
        public var furtherPageCents: Int64

        public init(pageCents: [Int64], furtherPageCents: Int64) {
            self.pageCents = pageCents
            self.furtherPageCents = furtherPageCents
        }

        func priceCents(pages: Int) -> Int64 {
            guard let last = pageCents.last else { return 0 }
            if pages <= pageCents.count { return pageCents[max(0, pages - 1)] }
            return last + Int64(pages - pageCents.count) * furtherPageCents
        }
    }

    /// The prices for one group of destination countries.
    public struct Destination: Sendable, Equatable {
        public var name: String
        public var countries: Set<String>
        /// Letters folded into a C5/6 or DL envelope.
        public var folded: Schedule
        /// Letters too thick to fold, flat in a C4 envelope; nil when the
        /// destination takes none.
        public var flat: Schedule?
        /// The most pages a letter to this destination may have.
        public var maximumPages: Int

        public init(name: String, countries: Set<String>, folded: Schedule, flat: Schedule?, maximumPages: Int) {
            self.name = name
            self.countries = countries
            self.folded = folded
            self.flat = flat
            self.maximumPages = maximumPages
        }
    }

    public var destinations: [Destination]

    public init(destinations: [Destination]) {
        self.destinations = destinations
    }

    /// Belgium: 1.45 EUR for one page, 1.55 EUR for two, 0.10 EUR for each
    /// further page, up to 50; flat in a C4 envelope, 2.95 EUR for the first
    /// page and 0.10 EUR for each further one.
    public static let standard = Tariff(destinations: [
        Destination(name: "Belgium", countries: ["BE"], folded: Schedule(pageCents: [145, 155], furtherPageCents: 10),
                    flat: Schedule(pageCents: [295], furtherPageCents: 10), maximumPages: 50),
    ])

    /// Refuses a letter that cannot fit the page limit of its destination,
    /// from `Document.minimumPages`, before it is drawn.
    public func checkEstimate(_ document: Document) throws(PricingError) {
        guard let destination = destinations.first(where: { $0.countries.contains(document.recipient.country) }) else {
            throw .unknownDestination(country: document.recipient.country)
        }
        let pages = document.minimumPages
        guard pages <= destination.maximumPages else {
            throw .tooManyPages(pages: pages, maximum: destination.maximumPages, destination: destination.name, estimated: true)
        }
    }

    public enum PricingError: Error, Equatable, CustomStringConvertible {
        case unknownDestination(country: String)
        /// `estimated`: counted from the text before drawing, at least so many.
        case tooManyPages(pages: Int, maximum: Int, destination: String, estimated: Bool = false)
        case noFlatPrice(sheets: Int, destination: String)

        public var description: String {
            switch self {
            case .unknownDestination(let country):
                "the tariff has no price for letters to \(country) (recipient.country)"
            case .tooManyPages(let pages, let maximum, let destination, let estimated):
                "the letter has \(estimated ? "at least " : "")\(pages) pages; the tariff for \(destination) allows at most \(maximum)"
            case .noFlatPrice(let sheets, let destination):
                "the letter has \(sheets) sheets, too many to fold into a window envelope, and the tariff for \(destination) has no price for a flat C4 letter (destinations[].flat)"
            }
        }
    }

    /// The price of a letter of `pages` pages to `country`, folded or flat
    /// as `placement` says.
    public func priceCents(pages: Int, country: String, placement: PrintPlacement? = nil) throws(PricingError) -> Int64 {
        guard let destination = destinations.first(where: { $0.countries.contains(country) }) else {
            throw .unknownDestination(country: country)
        }
        guard pages <= destination.maximumPages else {
            throw .tooManyPages(pages: pages, maximum: destination.maximumPages, destination: destination.name)
        }
        guard let placement, placement.stream.envelope.isFlat else {
            return destination.folded.priceCents(pages: pages)
        }
        guard let flat = destination.flat else {
            throw .noFlatPrice(sheets: placement.sheets, destination: destination.name)
        }
        return flat.priceCents(pages: pages)
    }
}

extension Tariff {
    /// Reads a `courrier.tariff/1` file:
    ///
    /// ```json
    /// {"format": "courrier.tariff/1", "currency": "EUR",
    ///  "destinations": [{"name": "Belgium", "countries": ["BE"],
    ///                    "pages": ["1.45", "1.55"], "each_further_page": "0.10",
    ///                    "flat": {"pages": ["2.95"], "each_further_page": "0.10"},
    ///                    "max_pages": 50}]}
    /// ```
    ///
    /// `flat` prices letters too thick to fold, in a C4 envelope; without it,
    /// such a letter to that destination fails before it is charged.
    public init(json data: Data) throws(DocumentError) {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw DocumentError(field: "", "is not valid JSON")
        }
        guard case .object(let root) = value else {
            throw DocumentError(field: "", "must be a JSON object")
        }
        let problems = ProblemList()
        let reader = FieldReader(root: root, problems: problems)
        if reader.string("format") != Tariff.format, reader.has("format") {
            reader.report("format", "must be \"\(Tariff.format)\"")
        }
        if let currency = reader.string("currency", required: false), currency != "EUR" {
            reader.report("currency", "is \"\(currency)\"; Courrier charges in EUR only")
        }
        var destinations: [Destination] = []
        for entry in reader.objects("destinations") {
            let name = entry.string("name")
            var countries: Set<String> = []
            if case .array(let codes)? = entry.object["countries"] {
                for code in codes {
                    guard case .string(let text) = code, text.count == 2 else {
                        entry.report("countries", "must list two-letter country codes")
                        continue
                    }
                    countries.insert(text.uppercased())
                }
            }
            if countries.isEmpty { entry.report("countries", "must list at least one country") }
            let folded = Self.readSchedule(entry)
            let flat = entry.object("flat", required: false).flatMap(Self.readSchedule)
            var maximumPages = 50
            if case .number(let number)? = entry.object["max_pages"] {
                maximumPages = Int(number)
            }
            if let folded, maximumPages < folded.pageCents.count {
                entry.report("max_pages", "is \(maximumPages), fewer than the pages priced")
            }
            if let name, !countries.isEmpty, let folded {
                destinations.append(Destination(name: name, countries: countries, folded: folded, flat: flat,
                                                maximumPages: maximumPages))
            }
        }
        guard problems.problems.isEmpty else { throw DocumentError(problems.problems) }
        self.init(destinations: destinations)
    }

    /// `"pages": [...]` and `"each_further_page"` of a destination or its `flat`.
    private static func readSchedule(_ reader: FieldReader) -> Schedule? {
        var pageCents: [Int64] = []
        if case .array(let prices)? = reader.object["pages"] {
            for price in prices {
                guard case .string(let text) = price, let cents = Cents.parse(text), cents > 0 else {
                    reader.report("pages", "must list prices as decimal strings such as \"1.45\"")
                    continue
                }
                pageCents.append(cents)
            }
        }
        guard !pageCents.isEmpty else {
            reader.report("pages", "must give the price of a one-page letter")
            return nil
        }
        let further = reader.decimal("each_further_page", required: false)
        return Schedule(pageCents: pageCents, furtherPageCents: further.flatMap(\.cents) ?? 0)
    }
}
