import Letters
import Rendering

/// A letter to put in a print bundle, with what the manifest says of it.
public struct BundleLetter {
    public var job: Int64
    public var document: Document
    public var terms: LetterTerms?
    public var logo: LetterLogo?
    /// Its stream and sheets, decided when it was priced.
    public var placement: PrintPlacement
    /// The pages the letter was charged for, counted when it was prepared.
    public var chargedPages: Int
    public var priceCents: Int64
    /// The spoiled printing this one replaces, when it is a reprint.
    public var reprintOf: Reprint?

    public init(job: Int64, document: Document, terms: LetterTerms?, logo: LetterLogo? = nil,
                placement: PrintPlacement, chargedPages: Int, priceCents: Int64, reprintOf: Reprint? = nil) {
        self.job = job
        self.document = document
        self.terms = terms
        self.logo = logo
        self.placement = placement
        self.chargedPages = chargedPages
        self.priceCents = priceCents
        self.reprintOf = reprintOf
    }
}
