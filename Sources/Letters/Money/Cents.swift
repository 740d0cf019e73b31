import Foundation

/// Money in Courrier is a whole number of cents. These turn it into the
/// decimal strings of the contracts ("1.55") and back.
public enum Cents {
    /// `155` as `"1.55"`, `-5` as `"-0.05"`.
    public static func decimalString(_ cents: Int64) -> String {
        DecimalNumber(significand: cents, scale: 2).description
    }

    /// `"1.55"` or `"1.5"` or `"2"` as cents; nil for anything finer than a cent
    /// or not a decimal at all.
    public static func parse(_ text: String) -> Int64? {
        guard let value = DecimalNumber(text.trimmingCharacters(in: .whitespaces)), value.scale <= 2 else { return nil }
        return value.rescaled(to: 2)?.significand
    }
}
