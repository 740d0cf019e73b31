/// An exact decimal, the significand scaled by a power of ten: `12.50` is
/// 1250 at scale 2. Amounts, quantities and VAT rates are read into this, never
/// into a binary floating-point number, so that a cent is never lost.
public struct DecimalNumber: Sendable, Hashable, CustomStringConvertible, Codable {
    public let significand: Int64
    public let scale: Int

    /// More fractional digits than any quantity or price needs, and few enough
    /// that a product of two such numbers still fits in 64 bits.
    public static let maximumScale = 6

    /// `scale` below zero is taken as zero: a decimal's scale is never negative.
    public init(significand: Int64, scale: Int) {
        self.significand = significand
        self.scale = max(0, scale)
    }

    /// Reads `-12`, `65.00`, `0.5`. No exponent, no thousands separator, no sign
    /// on a zero-length integer part: what a program writes, not a person.
    public init?(_ text: String) {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" {
            negative = true
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let integerPart = parts.first, !integerPart.isEmpty,
              integerPart.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        if parts.count == 2 && fraction.isEmpty { return nil }
        guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
              fraction.count <= Self.maximumScale,
              integerPart.count + fraction.count <= 15,
              let value = Int64(integerPart + fraction) else { return nil }
        self.init(significand: negative ? -value : value, scale: fraction.count)
    }

    public var isNegative: Bool { significand < 0 }

    /// This number at another scale, rounded half away from zero when digits
    /// are dropped (the "half up" of invoicing rules: 0.005 becomes 0.01,
    /// -0.005 becomes -0.01). Nil when the result does not fit in 64 bits.
    public func rounded(toScale target: Int) -> DecimalNumber? {
        guard target < scale else { return rescaled(to: target) }
        guard let divisor = Self.powerOfTen(scale - target) else {
            // More digits dropped than an Int64 holds: the value rounds to zero.
            return DecimalNumber(significand: 0, scale: target)
        }
        let (quotient, remainder) = significand.quotientAndRemainder(dividingBy: divisor)
        var result = quotient
        if remainder.magnitude * 2 >= divisor.magnitude {
            result += significand < 0 ? -1 : 1
        }
        return DecimalNumber(significand: result, scale: target)
    }

    /// The same value with more fractional digits, or nil when it does not fit in 64 bits.
    public func rescaled(to target: Int) -> DecimalNumber? {
        guard target >= scale else { return nil }
        guard let factor = Self.powerOfTen(target - scale) else { return significand == 0 ? DecimalNumber(significand: 0, scale: target) : nil }
        let (value, overflow) = significand.multipliedReportingOverflow(by: factor)
        return overflow ? nil : DecimalNumber(significand: value, scale: target)
    }

    /// The exact product, or nil when it does not fit in 64 bits.
    public func multiplied(by other: DecimalNumber) -> DecimalNumber? {
        let (product, overflow) = significand.multipliedReportingOverflow(by: other.significand)
        guard !overflow else { return nil }
        return DecimalNumber(significand: product, scale: scale + other.scale)
    }

    /// Rounded half up to whole cents; nil when that does not fit in 64 bits.
    public var cents: Int64? { rounded(toScale: 2)?.significand }

    public var description: String {
        let magnitude = String(significand.magnitude)
        let sign = significand < 0 ? "-" : ""
        guard scale > 0 else { return sign + magnitude }
        let padded = String(repeating: "0", count: max(0, scale + 1 - magnitude.count)) + magnitude
        let split = padded.index(padded.endIndex, offsetBy: -scale)
        return sign + padded[..<split] + "." + padded[split...]
    }

    /// 10 to the `exponent`, or nil past what an Int64 holds (10^18).
    static func powerOfTen(_ exponent: Int) -> Int64? {
        guard (0...18).contains(exponent) else { return nil }
        var value: Int64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The significand at `target` scale, widened so that it cannot overflow
    /// for the scales a decimal can have.
    fileprivate func widened(to target: Int) -> Int128 {
        var value = Int128(significand)
        for _ in 0..<max(0, target - scale) { value *= 10 }
        return value
    }
}

extension DecimalNumber: Comparable {
    public static func < (lhs: DecimalNumber, rhs: DecimalNumber) -> Bool {
        let scale = max(lhs.scale, rhs.scale)
        return lhs.widened(to: scale) < rhs.widened(to: scale)
    }

    public static func == (lhs: DecimalNumber, rhs: DecimalNumber) -> Bool {
        let scale = max(lhs.scale, rhs.scale)
        return lhs.widened(to: scale) == rhs.widened(to: scale)
    }

    public func hash(into hasher: inout Hasher) {
        // Equal values hash alike whatever their scale: 21 and 21.0 are one rate.
        var normalized = self
        while normalized.scale > 0 && normalized.significand % 10 == 0 {
            normalized = DecimalNumber(significand: normalized.significand / 10, scale: normalized.scale - 1)
        }
        hasher.combine(normalized.significand)
        hasher.combine(normalized.scale)
    }
}
