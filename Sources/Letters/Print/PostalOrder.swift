import Foundation

/// The order bpost's sorting centres take letters in: Belgium first, by
/// postcode, then abroad by country and postcode; the recipient's name
/// breaks ties so that the order is the same every time.
public enum PostalOrder {
    public static func key(for address: PostalAddress) -> String {
        let name = address.name.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        let postcode = address.postalCode.uppercased().filter { !$0.isWhitespace }
        // Shorter postcodes sort before longer ones of the same country, as numbers do.
        let padded = String(repeating: "0", count: max(0, 10 - postcode.count)) + postcode
        let place = address.country == "BE" ? "0 BE" : "1 \(address.country)"
        return "\(place) \(padded) \(name)"
    }
}
