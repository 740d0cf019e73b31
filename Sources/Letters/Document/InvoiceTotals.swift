/// The amounts of a document, computed as Belgian invoicing does: each line's
/// net rounded to the cent, then VAT per rate on the sum of that rate's nets,
/// rounded half up.
public struct InvoiceTotals: Sendable, Equatable, Codable {
    /// One row of the VAT summary: the rate, the nets it applies to, the tax.
    public struct VATGroup: Sendable, Equatable, Codable {
        public var rate: DecimalNumber
        public var baseCents: Int64
        public var vatCents: Int64
    }

    public var netCents: Int64
    public var vatCents: Int64
    public var grossCents: Int64
    /// By rate, highest rate first, as a VAT summary is read.
    public var vatGroups: [VATGroup]

    public init(lines: [InvoiceLine]) {
        var bases: [DecimalNumber: Int64] = [:]
        for line in lines {
            // Each line's net is at most DocumentParser.maximumLineCents and a
            // document has at most DocumentParser.maximumLines: no overflow.
            bases[line.vatRate, default: 0] += line.netCents
        }
        vatGroups = bases.sorted { $0.key > $1.key }.map { rate, base in
            VATGroup(rate: rate, baseCents: base, vatCents: Self.tax(onCents: base, rate: rate))
        }
        netCents = lines.reduce(0) { $0 + $1.netCents }
        vatCents = vatGroups.reduce(0) { $0 + $1.vatCents }
        grossCents = netCents + vatCents
    }

    /// `base` cents at `rate` percent, rounded half up to the cent. Computed
    /// in 128 bits: a base of a billion euros at a rate with six decimals
    /// needs more than 64 before it is rounded.
    static func tax(onCents base: Int64, rate: DecimalNumber) -> Int64 {
        // base x rate.significand is the tax in cents at scale rate.scale + 2.
        let exact = Int128(base) * Int128(rate.significand)
        var divisor: Int128 = 100
        for _ in 0..<rate.scale { divisor *= 10 }
        let (quotient, remainder) = exact.quotientAndRemainder(dividingBy: divisor)
        let rounded = remainder.magnitude * 2 >= divisor.magnitude ? quotient + (exact < 0 ? -1 : 1) : quotient
        // A rate is at most 100 %, so the tax is at most the base.
        return Int64(clamping: rounded)
    }
}
