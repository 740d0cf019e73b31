import Foundation
import Letters
import Rendering

/// What a letter costs, counted one way for the price a customer is told
/// (`courrier quote`) and the price it is charged (preparation): its pages
/// from its layout (its terms' as Poppler counted them at intake), its
/// sheets and envelope from the print shop's inserting, the tariff's price.
struct LetterPrice {
    var pages: Int
    var placement: PrintPlacement
    var priceCents: Int64

    /// Throws what is wrong with the letter: `RenderError` for its layout,
    /// `Tariff.PricingError` for its destination or size.
    init(_ document: Document, terms: LetterTerms?, renderer: LetterRenderer, tariff: Tariff,
         inserting: InsertingPolicy) throws {
        try tariff.checkEstimate(document)
        pages = try renderer.pageCount(document, terms: terms)
        placement = inserting.placement(for: document, pages: pages)
        priceCents = try tariff.priceCents(pages: pages, country: document.recipient.country, placement: placement)
    }
}
