/// How one country writes its VAT numbers and checks them, as its tax
/// office publishes the rule and the European Commission's VIES repeats it.
///
/// Where a branch of a country's rule is not published (the check digit of
/// a Latvian person's code) or changes with the country's map (a Romanian
/// person's county), the number is held to its form there: refusing a
/// valid VAT number stops a real invoice.
struct VATRule: Sendable {
    /// Who issues the number, as a refusal names it: "Spain".
    var country: String
    /// The form, after "a VAT number of Spain is": "ES and nine characters: …".
    var form: String
    /// The check, as a refusal names it: "Spanish check character".
    var check: String
    var read: @Sendable ([Character]) -> Reading

    /// What a number after its country prefix is.
    enum Reading: Equatable {
        /// A number of the country, in the form VIES writes it.
        case valid(String)
        case misformed
        case wrongCheck
    }

    static func of(_ country: String) -> VATRule? { rules[country] }

    private static let rules: [String: VATRule] = [
        // U and eight digits; the last is 10 minus (4 + the Luhn-like sum of the seven before) mod 10.
        "AT": VATRule(country: "Austria", form: "ATU and eight digits", check: "Austrian check digit") { number in
            guard number.count == 9, number[0] == "U", let d = CheckDigits.digits(number[1...]) else { return .misformed }
            let sum = d[0] + d[2] + d[4] + d[6] + [d[1], d[3], d[5]].reduce(0) { $0 + $1 * 2 / 10 + $1 * 2 % 10 }
            return outcome((10 - (sum + 4) % 10) % 10 == d[7], number)
        },
        // Ten digits opening with 0 or 1 (an old number of nine gains its 0);
        // the last two are 97 minus the first eight mod 97.
        "BE": VATRule(country: "Belgium", form: "BE and ten digits, the first 0 or 1", check: "Belgian check digits") { number in
            let number = number.count == 9 ? ["0"] + number : number
            guard number.count == 10, let d = CheckDigits.digits(number), d[0] <= 1 else { return .misformed }
            return outcome(97 - CheckDigits.value(d[0..<8]) % 97 == CheckDigits.value(d[8..<10]), number)
        },
        // Nine digits for a company; ten for a person (EGN), a foreigner or another taxpayer, each with its weights.
        "BG": digits("Bulgaria", form: "BG and nine or ten digits", check: "Bulgarian check digit", lengths: [9, 10]) { d in
            if d.count == 9 {
                let check = CheckDigits.weightedSum(d, Array(1...8)) % 11
                return (check == 10 ? CheckDigits.weightedSum(d, Array(3...10)) % 11 % 10 : check) == d[8]
            }
            // A person's EGN opens with their birth date, its month 20 more before 1900 and 40 more since 2000.
            let month = CheckDigits.value(d[2..<4]) % 20, day = CheckDigits.value(d[4..<6])
            let born = CheckDigits.value(d[2..<4]) <= 52 && (1...12).contains(month) && (1...31).contains(day)
            let person = born ? CheckDigits.weightedSum(d, [2, 4, 8, 5, 10, 9, 7, 3, 6]) % 11 % 10 : -1
            let foreigner = CheckDigits.weightedSum(d, [21, 19, 17, 13, 11, 9, 7, 3, 1]) % 10
            let other = (11 - CheckDigits.weightedSum(d, [4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11) % 11
            return person == d[9] || foreigner == d[9] || (other != 10 && other == d[9])
        },
        // Eight digits (not opening with 12) and a letter: odd places by the
        // table the Italian CIN uses, even places by their value, mod 26.
        "CY": VATRule(country: "Cyprus", form: "CY, eight digits not opening with 12, and a letter", check: "Cypriot check letter") { number in
            guard number.count == 9, let d = CheckDigits.digits(number[0..<8]), !(d[0] == 1 && d[1] == 2),
                  let letter = number[8].asciiValue, (65...90).contains(letter) else { return .misformed }
            let sum = d.enumerated().reduce(0) { $0 + ($1.offset % 2 == 0 ? CheckDigits.oddPlaceValues[$1.element] : $1.element) }
            return outcome(Int(letter) - 65 == sum % 26, number)
        },
        "CZ": digits("Czechia", form: "CZ and eight, nine or ten digits", check: "Czech check digit", lengths: [8, 9, 10], holds: czech),
        // Nine digits, the first not 0, closed by ISO 7064 MOD 11,10.
        "DE": digits("Germany", form: "DE and nine digits, the first not 0", check: "German check digit", lengths: [9]) { d in
            d[0] == 0 ? nil : CheckDigits.mod11_10(d)
        },
        // Eight digits, the first not 0, a multiple of 11 under weights 2, 7, 6, 5, 4, 3, 2, 1.
        "DK": digits("Denmark", form: "DK and eight digits, the first not 0", check: "Danish check digit", lengths: [8]) { d in
            d[0] == 0 ? nil : CheckDigits.weightedSum(d, [2, 7, 6, 5, 4, 3, 2, 1]) % 11 == 0
        },
        // Nine digits, a multiple of 10 under weights 3, 7, 1.
        "EE": digits("Estonia", form: "EE and nine digits", check: "Estonian check digit", lengths: [9]) { d in
            CheckDigits.weightedSum(d, [3, 7, 1, 3, 7, 1, 3, 7, 1]) % 10 == 0
        },
        // Nine digits (an old one of eight gains a 0); the last is the
        // first eight under weights 256 … 2, mod 11, mod 10.
        "EL": VATRule(country: "Greece", form: "EL and nine digits", check: "Greek check digit") { number in
            let number = number.count == 8 ? ["0"] + number : number
            guard number.count == 9, let d = CheckDigits.digits(number) else { return .misformed }
            return outcome(CheckDigits.weightedSum(d, [256, 128, 64, 32, 16, 8, 4, 2]) % 11 % 10 == d[8], number)
        },
        "ES": VATRule(country: "Spain", form: "ES and nine characters: a letter or digit, seven digits, a letter or digit",
                      check: "Spanish check character", read: spanish),
        // Eight digits; the last is 11 minus (weights 7, 9, 10, 5, 8, 4, 2) mod 11, never 10.
        "FI": digits("Finland", form: "FI and eight digits", check: "Finnish check digit", lengths: [8]) { d in
            let check = (11 - CheckDigits.weightedSum(d, [7, 9, 10, 5, 8, 4, 2]) % 11) % 11
            return check != 10 && check == d[7]
        },
        "FR": VATRule(country: "France", form: "FR, two check characters and the nine digits of the SIREN",
                      check: "French check characters (key and SIREN)", read: french),
        // Eleven digits (the OIB), closed by ISO 7064 MOD 11,10.
        "HR": digits("Croatia", form: "HR and eleven digits", check: "Croatian check digit", lengths: [11]) { d in
            CheckDigits.mod11_10(d)
        },
        // Eight digits, a multiple of 10 under weights 9, 7, 3, 1.
        "HU": digits("Hungary", form: "HU and eight digits", check: "Hungarian check digit", lengths: [8]) { d in
            CheckDigits.weightedSum(d, [9, 7, 3, 1, 9, 7, 3, 1]) % 10 == 0
        },
        "IE": VATRule(country: "Ireland", form: "IE, seven digits and one or two letters", check: "Irish check letter", read: irish),
        // Eleven digits: seven for the taxpayer (not all 0), three for the
        // provincial office (001 to 100, 120, 121, 888 or 999), closed by the Luhn check.
        "IT": digits("Italy", form: "IT and eleven digits, the eighth to tenth an office's code", check: "Italian check digit",
                     lengths: [11]) { d in
            let office = CheckDigits.value(d[7..<10])
            guard d[0..<7].contains(where: { $0 != 0 }), (1...100).contains(office) || [120, 121, 888, 999].contains(office) else {
                return nil
            }
            return CheckDigits.luhn(d)
        },
        // Nine digits for a company (the eighth is 1), twelve for a person
        // or a temporary taxpayer (the eleventh is 1); weights 1 … 9, 1, 2,
        // and 3 … 9, 1 … 4 when the first give 10.
        "LT": digits("Lithuania", form: "LT and nine or twelve digits, the one before the last two a 1", check: "Lithuanian check digit",
                     lengths: [9, 12]) { d in
            guard d[d.count - 2] == 1 else { return nil }
            let body = d.dropLast()
            var check = body.enumerated().reduce(0) { $0 + (1 + $1.offset % 9) * $1.element } % 11
            if check == 10 { check = body.enumerated().reduce(0) { $0 + (1 + ($1.offset + 2) % 9) * $1.element } % 11 }
            return check % 10 == d[d.count - 1]
        },
        // Eight digits; the last two are the first six mod 89.
        "LU": digits("Luxembourg", form: "LU and eight digits", check: "Luxembourgish check digits", lengths: [8]) { d in
            CheckDigits.value(d[0..<6]) % 89 == CheckDigits.value(d[6..<8])
        },
        // Eleven digits. A company's (first digit above 3) leaves 3 by 11
        // under weights 9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1; a person's code is
        // a birth date or opens with 32, its check unpublished.
        "LV": digits("Latvia", form: "LV and eleven digits", check: "Latvian check digit", lengths: [11]) { d in
            if d[0] > 3 { return CheckDigits.weightedSum(d, [9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1]) % 11 == 3 }
            if d[0] == 3 && d[1] == 2 { return true }
            let day = CheckDigits.value(d[0..<2]), month = CheckDigits.value(d[2..<4])
            return (1...31).contains(day) && (1...12).contains(month) && d[6] <= 2 ? true : nil
        },
        // Eight digits, the first not 0, a multiple of 37 under weights 3, 4, 6, 7, 8, 9, 10, 1.
        "MT": digits("Malta", form: "MT and eight digits, the first not 0", check: "Maltese check digits", lengths: [8]) { d in
            d[0] == 0 ? nil : CheckDigits.weightedSum(d, [3, 4, 6, 7, 8, 9, 10, 1]) % 37 == 0
        },
        // Nine digits (written without their leading zeros too), B and two
        // digits, not 00. A company's nine digits pass the eleven test; a sole
        // trader's number (since 2020) leaves 1 by 97 with NL before it.
        "NL": VATRule(country: "the Netherlands", form: "NL, nine digits, B and two digits", check: "Dutch check digit") { number in
            guard let b = number.lastIndex(of: "B"), b >= 1, b <= 9, number.count == b + 3 else { return .misformed }
            let number = Array(repeating: "0", count: 9 - b) + number
            guard let d = CheckDigits.digits(number[0..<9]), d.contains(where: { $0 != 0 }),
                  let suffix = CheckDigits.digits(number[10...]), suffix != [0, 0] else { return .misformed }
            let eleven = CheckDigits.weightedSum(d, [9, 8, 7, 6, 5, 4, 3, 2]) % 11
            return outcome((eleven != 10 && eleven == d[8]) || CheckDigits.mod97(["N", "L"] + number) == 1, number)
        },
        // Ten digits; the last is (weights 6, 5, 7, 2, 3, 4, 5, 6, 7) mod 11, never 10.
        "PL": digits("Poland", form: "PL and ten digits", check: "Polish check digit", lengths: [10]) { d in
            let check = CheckDigits.weightedSum(d, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11
            return check != 10 && check == d[9]
        },
        // Nine digits, the first not 0; the last is 11 minus (weights 9 … 2) mod 11, 0 for 10 and 11.
        "PT": digits("Portugal", form: "PT and nine digits, the first not 0", check: "Portuguese check digit", lengths: [9]) { d in
            let check = 11 - CheckDigits.weightedSum(d, [9, 8, 7, 6, 5, 4, 3, 2]) % 11
            return d[0] == 0 ? nil : (check >= 10 ? 0 : check) == d[8]
        },
        // Two to ten digits, the first not 0; the last is ten times
        // (weights 7, 5, 3, 2, 1, 7, 5, 3, 2 from the right) mod 11, mod 10.
        // A person registered under their CNP: thirteen digits, the last
        // (weights 2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9) mod 11, 1 for 10.
        "RO": digits("Romania", form: "RO and two to ten digits, the first not 0, or a person's thirteen", check: "Romanian check digit",
                     lengths: Set(2...10).union([13])) { d in
            guard d[0] != 0 else { return nil }
            if d.count == 13 {
                // Sex and century, YYMMDD, the county, a serial, the check.
                let month = CheckDigits.value(d[3..<5]), day = CheckDigits.value(d[5..<7])
                guard (1...12).contains(month), (1...31).contains(day) else { return nil }
                let check = CheckDigits.weightedSum(d, [2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9]) % 11
                return (check == 10 ? 1 : check) == d[12]
            }
            let body = Array(repeating: 0, count: 10 - d.count) + d.dropLast()
            return CheckDigits.weightedSum(body, [7, 5, 3, 2, 1, 7, 5, 3, 2]) * 10 % 11 % 10 == d[d.count - 1]
        },
        // Twelve digits: the organisation number, closed by the Luhn check, and 01.
        "SE": digits("Sweden", form: "SE and twelve digits, the last two 01", check: "Swedish check digit", lengths: [12]) { d in
            d[10] != 0 || d[11] != 1 ? nil : CheckDigits.luhn(d[0..<10])
        },
        // Eight digits, the first not 0; the last is 11 minus (weights 8 … 2) mod 11, 0 for 10, never 11.
        "SI": digits("Slovenia", form: "SI and eight digits, the first not 0", check: "Slovenian check digit", lengths: [8]) { d in
            let check = 11 - CheckDigits.weightedSum(d, [8, 7, 6, 5, 4, 3, 2]) % 11
            return d[0] == 0 ? nil : check != 11 && (check == 10 ? 0 : check) == d[7]
        },
        // Ten digits, the first not 0, the third 2, 3, 4, 7, 8 or 9, the
        // whole a multiple of 11; or a person's birth number.
        "SK": digits("Slovakia", form: "SK and ten digits, the first not 0, the third 2, 3, 4, 7, 8 or 9", check: "Slovak check digit",
                     lengths: [10]) { d in
            if birthNumber(d) == true { return true }
            return d[0] == 0 || ![2, 3, 4, 7, 8, 9].contains(d[2]) ? nil : CheckDigits.value(d) % 11 == 0
        },
        // A trader outside the Union registered for its one-stop shop: EU and nine digits.
        // Its first three digits are the ISO 3166 number of the member state that registered it.
        "EU": digits("the EU's one-stop shop", form: "EU and nine digits, the first three a member state's ISO number",
                     check: "one-stop shop number", lengths: [9]) { d in
            memberStates.contains(CheckDigits.value(d[0..<3])) ? true : nil
        },
        "XI": british("XI", "Northern Ireland"), "GB": british("GB", "the United Kingdom"),
        // CHE, nine digits (the last 11 minus weights 5, 4, 3, 2, 7, 6, 5, 4 mod 11) and MWST, TVA, IVA or TPV.
        "CH": VATRule(country: "Switzerland", form: "CHE, nine digits and MWST, TVA, IVA or TPV", check: "Swiss check digit") { number in
            let suffix = String(number.dropFirst(10))
            guard number.count >= 10, number[0] == "E", let d = CheckDigits.digits(number[1..<10]),
                  ["", "MWST", "TVA", "IVA", "TPV"].contains(suffix) else { return .misformed }
            let check = (11 - CheckDigits.weightedSum(d, [5, 4, 3, 2, 7, 6, 5, 4]) % 11) % 11
            return outcome(check != 10 && check == d[8], number)
        },
        // Nine digits (the last 11 minus weights 3, 2, 7, 6, 5, 4, 3, 2 mod 11) and MVA.
        "NO": VATRule(country: "Norway", form: "NO, nine digits and MVA", check: "Norwegian check digit") { number in
            guard number.count == 9 || (number.count == 12 && String(number[9...]) == "MVA"),
                  let d = CheckDigits.digits(number[0..<9]) else { return .misformed }
            let check = (11 - CheckDigits.weightedSum(d, [3, 2, 7, 6, 5, 4, 3, 2]) % 11) % 11
            return outcome(check != 10 && check == d[8], Array(number[0..<9]) + ["M", "V", "A"])
        },
    ]

    /// ISO 3166 numbers of the member states.
    private static let memberStates: Set<Int> = [
        40, 56, 100, 191, 196, 203, 208, 233, 246, 250, 276, 300, 348, 372,
        380, 428, 440, 442, 470, 528, 616, 620, 642, 703, 705, 724, 752,
    ]

    private static func outcome(_ holds: Bool, _ number: [Character]) -> Reading {
        holds ? .valid(String(number)) : .wrongCheck
    }

    /// A number of digits only, of one of `lengths`; `holds` says whether
    /// its check holds, or nil when the digits break the form (a first 0, say).
    private static func digits(_ country: String, form: String, check: String, lengths: Set<Int>,
                               holds: @escaping @Sendable ([Int]) -> Bool?) -> VATRule {
        VATRule(country: country, form: form, check: check) { number in
            guard lengths.contains(number.count), let d = CheckDigits.digits(number), let verdict = holds(d) else { return .misformed }
            return outcome(verdict, number)
        }
    }

    /// A company's eight digits (not opening with 9) closed by weights 8 … 2
    /// mod 11; nine opening with 6 for a person without a birth number;
    /// otherwise a person's birth number, of nine digits before 1954 and ten,
    /// a multiple of 11, since.
    private static func czech(_ d: [Int]) -> Bool? {
        switch d.count {
        case 8:
            guard d[0] != 9 else { return nil }
            let check = (11 - CheckDigits.weightedSum(d, [8, 7, 6, 5, 4, 3, 2]) % 11) % 11
            return (check == 0 ? 1 : check) % 10 == d[7]
        case 9 where d[0] == 6:
            let sum = CheckDigits.weightedSum(d[1..<8], [8, 7, 6, 5, 4, 3, 2]) % 11
            return ((8 - (10 - sum) % 11) % 10 + 10) % 10 == d[8]
        default:
            return birthNumber(d)
        }
    }

    /// A Czech or Slovak birth number (rodné číslo): YYMMDD, a woman's
    /// month 50 more, and since 2004 either may be 20 more; nine digits
    /// for a birth before 1954 (the 1880s included), ten since, a multiple of 11 (or 10 by 11 and a last 0).
    private static func birthNumber(_ d: [Int]) -> Bool? {
        let month = CheckDigits.value(d[2..<4]) % 50 % 20, day = CheckDigits.value(d[4..<6])
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        if d.count == 9 { return CheckDigits.value(d[0..<2]) < 54 || CheckDigits.value(d[0..<2]) >= 80 ? true : nil }
        guard d.count == 10 else { return nil }
        return CheckDigits.value(d.dropLast()) % 11 % 10 == d[9]
    }

    /// Nine characters. A person's DNI (eight digits, or K, L or M and
    /// seven) and a foreigner's NIE (X, Y or Z as 0, 1, 2, and seven
    /// digits) close with the letter of their number mod 23; a company's CIF
    /// (a letter for its kind, seven digits) with the Luhn digit or its letter.
    private static func spanish(_ number: [Character]) -> Reading {
        guard number.count == 9, let middle = CheckDigits.digits(number[1..<8]) else { return .misformed }
        let letters = Array("TRWAGMYFPDXBNJZSQVHLCKE")
        let first = number[0], last = number[8], body = CheckDigits.value(middle)
        if let digit = CheckDigits.digits([first])?.first {
            return outcome(letters[(digit * 10_000_000 + body) % 23] == last, number)
        }
        if let foreigner = Array("XYZ").firstIndex(of: first) {
            return outcome(letters[(foreigner * 10_000_000 + body) % 23] == last, number)
        }
        if "KLM".contains(first) {
            return outcome(letters[body % 23] == last, number)
        }
        guard "ABCDEFGHJNPQRSUVW".contains(first) else { return .misformed }
        let check = CheckDigits.luhnCheckDigit(middle)
        return outcome(last == Character(String(check)) || last == Array("JABCDEFGHI")[check], number)
    }

    /// Two check characters and the nine digits of the SIREN (which the
    /// Luhn check closes, but for Monaco's numbers, 000 after the key).
    /// Digits: (12 + 3 × (SIREN mod 97)) mod 97. Since letters were added,
    /// a key with a letter is read from the alphabet without I and O.
    private static func french(_ number: [Character]) -> Reading {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
        guard number.count == 11, let first = alphabet.firstIndex(of: number[0]), let second = alphabet.firstIndex(of: number[1]),
              let siren = CheckDigits.digits(number[2...]) else { return .misformed }
        if siren[0..<3] != [0, 0, 0], !CheckDigits.luhn(siren) { return .wrongCheck }
        let value = CheckDigits.value(siren)
        if first < 10, second < 10 {
            return outcome(first * 10 + second == (value * 100 + 12) % 97, number)
        }
        let check = first < 10 ? first * 24 + second - 10 : first * 34 + second - 100
        return outcome((value + 1 + check / 11) % 11 == check % 11, number)
    }

    /// Seven digits, a check letter and, since 2013, a second letter (A to I,
    /// or W); the check is (weights 8 … 2 over the digits + 9 × the second
    /// letter) mod 23 in W, A … V. An old number (a digit, a letter, five
    /// digits, the check) is checked as its digits rearranged.
    private static func irish(_ number: [Character]) -> Reading {
        let alphabet = Array("WABCDEFGHIJKLMNOPQRSTUV")
        guard number.count == 8 || number.count == 9, alphabet.contains(number[7]) else { return .misformed }
        let second = number.count == 9 ? alphabet.firstIndex(of: number[8]) : 0
        let digits: [Int]
        if let new = CheckDigits.digits(number[0..<7]) {
            digits = new
        } else if number.count == 8, let leading = CheckDigits.digits([number[0]]), number[1].isLetter,
                  let rest = CheckDigits.digits(number[2..<7]) {
            digits = [0] + rest + leading
        } else {
            return .misformed
        }
        guard let second else { return .misformed }
        let sum = CheckDigits.weightedSum(digits, [8, 7, 6, 5, 4, 3, 2]) + 9 * second
        return outcome(alphabet[sum % 23] == number[7], number)
    }

    /// The United Kingdom's numbers, which Northern Ireland's traders keep
    /// under XI: nine digits (or twelve, with a branch) whose weights 8 … 2
    /// and last two digits add up to 0 by 97, or (since numbers from 100
    /// restarted with 55 added) to 42 or 55; GD and three digits for a
    /// government department, HA for a health authority, or either as GD8888
    /// or HA8888 with those three digits and their remainder by 97.
    private static func british(_ code: String, _ country: String) -> VATRule {
        VATRule(country: country, form: "\(code) and nine or twelve digits, or \(code)GD or \(code)HA and three digits",
                check: "British check digits") { number in
            let kind = String(number.prefix(2))
            if kind == "GD" || kind == "HA" {
                let long = number.count == 11 && String(number[2..<6]) == "8888"
                guard number.count == 5 || long, let d = CheckDigits.digits(number[(long ? 6 : 2)...]) else { return .misformed }
                let value = CheckDigits.value(d[0..<3])
                guard (kind == "GD") == (value < 500) else { return .misformed }
                return outcome(!long || value % 97 == CheckDigits.value(d[3..<5]), number)
            }
            guard number.count == 9 || number.count == 12, let d = CheckDigits.digits(number) else { return .misformed }
            let remainder = (CheckDigits.weightedSum(d, [8, 7, 6, 5, 4, 3, 2]) + CheckDigits.value(d[7..<9])) % 97
            return outcome(remainder == 0 || (CheckDigits.value(d[0..<3]) >= 100 && (remainder == 42 || remainder == 55)), number)
        }
    }
}
