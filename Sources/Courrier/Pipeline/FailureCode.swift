import Letters

/// The kinds of failure that metrics count, beside the renderer's codes
/// (`address_does_not_fit`, `unreadable_terms`, …).
enum FailureCode {
    static let invalidDocument = "invalid_document"

    static func of(_ error: Tariff.PricingError) -> String {
        switch error {
        case .unknownDestination: "unknown_destination"
        case .tooManyPages: "too_many_pages"
        case .noFlatPrice: "no_flat_price"
        }
    }
}
