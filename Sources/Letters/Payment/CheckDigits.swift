/// The check-digit arithmetic that banks' and tax offices' rules are made
/// of: weighted sums, Luhn, ISO 7064's MOD 11,10 and MOD 97-10. Each rule
/// in `NationalIBANCheck` and `VATRule` is written with these.
enum CheckDigits {
    /// The decimal digits of `characters`, or nil when they hold anything else.
    static func digits(_ characters: some Collection<Character>) -> [Int]? {
        var values: [Int] = []
        values.reserveCapacity(characters.count)
        for character in characters {
            guard character.isASCII, let value = character.wholeNumberValue else { return nil }
            values.append(value)
        }
        return values
    }

    /// The number the digits spell, for up to eighteen of them.
    static func value(_ digits: some Collection<Int>) -> Int {
        digits.reduce(0) { $0 * 10 + $1 }
    }

    /// Σ digit × weight, pairing from the first digit; extra digits or weights are ignored.
    static func weightedSum(_ digits: some Collection<Int>, _ weights: [Int]) -> Int {
        zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The Luhn check (ISO/IEC 7812): from the right, every second digit
    /// doubled (its digits summed), the total a multiple of ten.
    static func luhn(_ digits: some BidirectionalCollection<Int>) -> Bool {
        luhnSum(digits, doublingLast: false) % 10 == 0
    }

    /// The digit that closes `digits` under the Luhn check.
    static func luhnCheckDigit(_ digits: some BidirectionalCollection<Int>) -> Int {
        (10 - luhnSum(digits, doublingLast: true) % 10) % 10
    }

    private static func luhnSum(_ digits: some BidirectionalCollection<Int>, doublingLast: Bool) -> Int {
        digits.reversed().enumerated().reduce(0) { total, pair in
            let doubled = (pair.offset % 2 == 0) == doublingLast ? pair.element * 2 : pair.element
            return total + (doubled > 9 ? doubled - 9 : doubled)
        }
    }

    /// ISO 7064 MOD 11,10, the hybrid system: the last digit closes the chain.
    static func mod11_10(_ digits: some BidirectionalCollection<Int>) -> Bool {
        var product = 10
        for digit in digits.dropLast() {
            let sum = (digit + product) % 10
            product = (sum == 0 ? 10 : sum) * 2 % 11
        }
        guard let last = digits.last else { return false }
        return (11 - product) % 10 == last
    }

    /// The remainder by 97 of the number the characters spell, letters
    /// counted as ISO 13616 counts them (A is 10 … Z is 35); nil for anything
    /// but digits and upper-case ASCII letters.
    static func mod97(_ characters: some Collection<Character>) -> Int? {
        var remainder = 0
        for character in characters {
            guard let ascii = character.asciiValue else { return nil }
            switch ascii {
            case 48...57: remainder = (remainder * 10 + Int(ascii - 48)) % 97
            case 65...90: remainder = (remainder * 100 + Int(ascii - 55)) % 97
            default: return nil
            }
        }
        return remainder
    }

    /// The value a character has in an odd place of the Italian CIN and the
    /// Cypriot VAT check letter (digits as A to J).
    static let oddPlaceValues = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]

    /// A digit's or an upper-case letter's place in 0…9 or A…Z.
    static func alphanumericIndex(_ character: Character) -> Int? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case 48...57: return Int(ascii - 48)
        case 65...90: return Int(ascii - 65)
        default: return nil
        }
    }
}
