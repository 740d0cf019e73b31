import Foundation

/// A colour written `#RRGGBB`, as brand guides give it.
public struct RGBColor: Sendable, Equatable, CustomStringConvertible, Codable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Reads `#RRGGBB` (the `#` may be left out); nil for anything else.
    public init?(hex text: String) {
        let digits = text.hasPrefix("#") ? text.dropFirst() : Substring(text)
        guard digits.count == 6, digits.allSatisfy(\.isHexDigit), let value = UInt32(digits, radix: 16) else { return nil }
        self.init(red: UInt8(value >> 16 & 0xFF), green: UInt8(value >> 8 & 0xFF), blue: UInt8(value & 0xFF))
    }

    public var description: String {
        "#" + [red, green, blue].map { String(format: "%02X", $0) }.joined()
    }

    /// WCAG 2 relative luminance, 0 for black to 1 for white.
    public var luminance: Double {
        func linear(_ channel: UInt8) -> Double {
            let value = Double(channel) / 255
            return value <= 0.04045 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// The WCAG contrast ratio of this colour against white paper, from 1 to 21.
    public var contrastOnWhite: Double { 1.05 / (luminance + 0.05) }

    /// This colour, darkened toward black just enough that text in it reads on
    /// white paper with at least `ratio` contrast. A brand's light yellow stays
    /// recognisably its own hue, only deeper.
    public func darkened(toContrast ratio: Double) -> RGBColor {
        var factor = 1.0
        var color = self
        while color.contrastOnWhite < ratio && factor > 0 {
            factor -= 0.02
            color = RGBColor(red: UInt8((Double(red) * factor).rounded()),
                             green: UInt8((Double(green) * factor).rounded()),
                             blue: UInt8((Double(blue) * factor).rounded()))
        }
        return color
    }
}
