import Letters

extension FailureCode {
    /// The code of a letter the tariff cannot price.
    init(_ error: Tariff.PricingError) {
        switch error {
        case .unknownDestination: self = .unknownDestination
        case .tooManyPages: self = .tooManyPages
        case .noFlatPrice: self = .noFlatPrice
        }
    }
}
