/// The amounts of a document, computed as Belgian invoicing does: each line's
/// net rounded to the cent, then VAT per rate on the sum of that rate's nets,
/// rounded half up.
public struct InvoiceTotals: Sendable, Equatable {
    /// One row of the VAT summary: the rate, the nets it applies to, the tax.
    public struct VATGroup: Sendable, Equatable {
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
            bases[line.vatRate, default: 0] += line.netCents
        }
        vatGroups = bases.keys.sorted(by: >).map { rate in
            let base = bases[rate]!
            // base (cents, scale 2) x rate (percent) / 100 = tax at scale 2 + rate.scale + 2.
            let product = DecimalNumber(significand: base, scale: 2).multiplied(by: rate)
                ?? DecimalNumber(significand: 0, scale: 0)
            let tax = DecimalNumber(significand: product.significand, scale: product.scale + 2)
            return VATGroup(rate: rate, baseCents: base, vatCents: tax.cents)
        }
        netCents = lines.reduce(0) { $0 + $1.netCents }
        vatCents = vatGroups.reduce(0) { $0 + $1.vatCents }
        grossCents = netCents + vatCents
    }
}
