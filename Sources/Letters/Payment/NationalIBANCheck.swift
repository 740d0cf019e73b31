/// A country's own check digits inside its IBAN's account number (BBAN), as
/// its banks publish them. Mod 97 over the whole IBAN catches most typing
/// mistakes; these catch an account number that was wrong before it became
/// an IBAN, and the IBAN computed around it.
///
/// Only rules a country publishes are here: refusing a valid account is
/// worse than letting a wrong one reach the bank, which refuses it too.
/// Germany, the Netherlands, Sweden, the United Kingdom and Ireland check
/// per bank or per sort code, with tables that change; they are left to mod 97.
struct NationalIBANCheck: Sendable {
    /// How the refusal names the rule: "the Spanish check digits (DC)".
    var name: String
    /// Whether the BBAN (already of its country's registry layout) holds.
    var holds: @Sendable ([Character]) -> Bool

    static func of(_ country: String) -> NationalIBANCheck? { checks[country] }

    private static let checks: [String: NationalIBANCheck] = [
        // The Belgian account number: its last two digits are the first ten mod 97, 97 for 0.
        "BE": NationalIBANCheck(name: "Belgian check digits") { bban in
            guard let number = CheckDigits.digits(bban) else { return false }
            let check = CheckDigits.value(number[0..<10]) % 97
            return (check == 0 ? 97 : check) == CheckDigits.value(number[10..<12])
        },
        "FR": rib, "MC": rib,
        // Spain's two control digits (DC): bank and branch, then the account,
        // weights 1, 2, 4, 8, 5, 10, 9, 7, 3, 6 mod 11.
        "ES": NationalIBANCheck(name: "Spanish check digits (DC)") { bban in
            guard let number = CheckDigits.digits(bban) else { return false }
            return spanish([0, 0] + number[0..<8]) == number[8] && spanish(Array(number[10..<20])) == number[9]
        },
        "IT": cin, "SM": cin,
        // Norway: the last digit, weights 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 mod 11.
        "NO": NationalIBANCheck(name: "Norwegian check digit") { bban in
            guard let number = CheckDigits.digits(bban) else { return false }
            let check = (11 - CheckDigits.weightedSum(number, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11) % 11
            return check != 10 && check == number[10]
        },
        // Finland: the Luhn check over the fourteen digits.
        "FI": NationalIBANCheck(name: "Finnish check digit") { bban in
            CheckDigits.digits(bban).map(CheckDigits.luhn) ?? false
        },
        // Estonia: the account number (the last fourteen digits) closes with
        // a digit of weights 7, 3, 1 from the right, the "7-3-1" method.
        "EE": NationalIBANCheck(name: "Estonian check digit (7-3-1)") { bban in
            guard let number = CheckDigits.digits(bban) else { return false }
            let account = number[2..<16]
            let sum = account.dropLast().reversed().enumerated().reduce(0) { $0 + $1.element * [7, 3, 1][$1.offset % 3] }
            return (10 - sum % 10) % 10 == account.last
        },
        "CZ": czechoslovak("Czech"), "SK": czechoslovak("Slovak"),
        // Croatia: the bank's seven digits and the account's ten each end in
        // an ISO 7064 MOD 11,10 check digit.
        "HR": NationalIBANCheck(name: "Croatian check digits (ISO 7064 MOD 11,10)") { bban in
            guard let number = CheckDigits.digits(bban) else { return false }
            return CheckDigits.mod11_10(number[0..<7]) && CheckDigits.mod11_10(number[7..<17])
        },
        // Hungary: bank and branch close with a check digit, and so does the
        // account; weights 9, 7, 3, 1 repeated, each total a multiple of ten.
        "HU": NationalIBANCheck(name: "Hungarian check digits") { bban in
            guard let number = CheckDigits.digits(bban) else { return false }
            let weights = [9, 7, 3, 1, 9, 7, 3, 1, 9, 7, 3, 1, 9, 7, 3, 1]
            return CheckDigits.weightedSum(number[0..<8], weights) % 10 == 0
                && CheckDigits.weightedSum(number[8..<24], weights) % 10 == 0
        },
        // Poland: the bank's eight-digit sort code closes with a check digit of weights 3, 9, 7, 1.
        "PL": NationalIBANCheck(name: "Polish check digit (sort code)") { bban in
            guard let number = CheckDigits.digits(bban) else { return false }
            return CheckDigits.weightedSum(number[0..<8], [3, 9, 7, 1, 3, 9, 7, 1]) % 10 == 0
        },
        // Iceland: the holder's kennitala closes the account number; its
        // ninth digit is 11 minus (weights 3, 2, 7, 6, 5, 4, 3, 2) mod 11.
        "IS": NationalIBANCheck(name: "Icelandic check digit (kennitala)") { bban in
            guard let number = CheckDigits.digits(bban) else { return false }
            let kennitala = Array(number[12..<22])
            let check = (11 - CheckDigits.weightedSum(kennitala, [3, 2, 7, 6, 5, 4, 3, 2]) % 11) % 11
            return check != 10 && check == kennitala[8]
        },
        // Portugal's NIB, and Slovenia's, Bosnia's, Montenegro's, North
        // Macedonia's, Serbia's, Kosovo's, Timor-Leste's and São Tomé's
        // account numbers: two closing digits by ISO 7064 MOD 97-10.
        "PT": mod97_10("Portuguese check digits (NIB)"), "SI": mod97_10("Slovenian check digits"),
        "BA": mod97_10("Bosnian check digits"), "ME": mod97_10("Montenegrin check digits"),
        "MK": mod97_10("Macedonian check digits"), "RS": mod97_10("Serbian check digits"),
        "XK": mod97_10("Kosovan check digits"), "TL": mod97_10("Timorese check digits"),
        "ST": mod97_10("Santomean check digits"),
        // The RIB key of the banking systems made on France's: the whole
        // account number, key included, a multiple of 97.
        "TN": ribKey("Tunisian check digits (clé RIB)"), "MR": ribKey("Mauritanian check digits (clé RIB)"),
        "DJ": ribKey("Djiboutian check digits (clé RIB)"), "BI": ribKey("Burundian check digits (clé RIB)"),
    ]

    /// The French RIB key (Monaco's too): 97 - (89 x bank + 15 x branch + 3 x account) mod 97,
    /// letters in the account read as digits.
    static let rib = NationalIBANCheck(name: "French check digits (clé RIB)") { bban in
        // A to I are 1 to 9, J to R are 1 to 9, S to Z are 2 to 9.
        let number = bban.compactMap { character -> Int? in
            if let digit = character.wholeNumberValue, character.isASCII { return digit }
            guard let ascii = character.asciiValue, character.isUppercase else { return nil }
            let offset = Int(ascii) - 65
            return offset < 9 ? offset + 1 : offset < 18 ? offset - 8 : offset - 16
        }
        guard number.count == 23 else { return false }
        let bank = CheckDigits.value(number[0..<5]) % 97, branch = CheckDigits.value(number[5..<10]) % 97
        let account = number[10..<21].reduce(0) { ($0 * 10 + $1) % 97 }
        return 97 - (89 * bank + 15 * branch + 3 * account) % 97 == CheckDigits.value(number[21..<23])
    }

    /// The Italian CIN (San Marino's too): a letter before the bank code,
    /// the sum of the 22 characters after it (odd places by the CIN table,
    /// even places by their value) mod 26.
    static let cin = NationalIBANCheck(name: "Italian check letter (CIN)") { bban in
        var sum = 0
        for (offset, character) in bban.dropFirst().enumerated() {
            guard let index = CheckDigits.alphanumericIndex(character) else { return false }
            sum += offset % 2 == 0 ? CheckDigits.oddPlaceValues[index] : index
        }
        return bban.first?.asciiValue == UInt8(65 + sum % 26)
    }

    /// Czech and Slovak accounts: a prefix of six digits and a number of ten,
    /// each a multiple of 11 under weights 10, 5, 8, 4, 2, 1 and 6, 3, 7, 9, 10, 5, 8, 4, 2, 1.
    static func czechoslovak(_ nationality: String) -> NationalIBANCheck {
        NationalIBANCheck(name: "\(nationality) check digits") { bban in
            guard let number = CheckDigits.digits(bban) else { return false }
            return CheckDigits.weightedSum(number[4..<10], [10, 5, 8, 4, 2, 1]) % 11 == 0
                && CheckDigits.weightedSum(number[10..<20], [6, 3, 7, 9, 10, 5, 8, 4, 2, 1]) % 11 == 0
        }
    }

    /// The whole BBAN, as digits, leaves 1 by 97 (ISO 7064 MOD 97-10). A
    /// BBAN with letters where its layout allows them is left to mod 97 over the IBAN.
    static func mod97_10(_ name: String) -> NationalIBANCheck {
        NationalIBANCheck(name: name) { bban in
            CheckDigits.digits(bban) == nil || CheckDigits.mod97(bban) == 1
        }
    }

    /// The whole BBAN, as digits, is a multiple of 97.
    static func ribKey(_ name: String) -> NationalIBANCheck {
        NationalIBANCheck(name: name) { bban in CheckDigits.mod97(bban) == 0 }
    }

    private static func spanish(_ digits: [Int]) -> Int {
        let check = 11 - CheckDigits.weightedSum(digits, [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]) % 11
        return check == 11 ? 0 : check == 10 ? 1 : check
    }
}
