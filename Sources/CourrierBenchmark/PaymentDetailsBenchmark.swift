import Foundation
import Letters

/// Reads IBANs and VAT numbers as a document's sender fields are read, and
/// prints, per country, how many were accepted and refused, each refusal
/// with its reason, and where the verdict differs from the one the file expects.
///
/// Each line of the file: `iban` or `vat`, a tab, the number as written, and
/// optionally a tab and `valid` or `invalid`. Lines opening with `#` are comments.
func benchmarkPaymentDetails(_ file: URL) throws {
    struct Tally { var accepted = 0, refused = 0, disagreements = 0 }
    var tallies: [String: Tally] = [:]
    var refusals: [String] = [], disagreements: [String] = []
    for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 2, ["iban", "vat"].contains(fields[0]) else { continue }
        let kind = fields[0], text = fields[1]
        let expected = fields.count > 2 ? fields[2] : ""
        // Counted under the country the number was read as (GR as EL, `… MVA` as NO), else as it opens.
        var problem: PaymentDetailProblem?
        let letters = text.uppercased().filter { $0.isASCII && $0.isLetter }
        var country = String((letters.hasPrefix("IBAN") ? letters.dropFirst(4) : letters[...]).prefix(2))
        do throws(PaymentDetailProblem) {
            country = String((kind == "iban" ? try IBAN(text).compact : try VATNumber(text).compact).prefix(2))
        } catch {
            problem = error
        }
        country = kind.uppercased() + " " + country
        var tally = tallies[country, default: Tally()]
        if let problem {
            tally.refused += 1
            refusals.append("\(kind) \(problem)")
        } else {
            tally.accepted += 1
        }
        if (expected == "valid" && problem != nil) || (expected == "invalid" && problem == nil) {
            tally.disagreements += 1
            disagreements.append("\(kind) \"\(text)\" expected \(expected), \(problem.map { "refused: \($0)" } ?? "accepted")")
        }
        tallies[country] = tally
    }
    print("country   numbers  accepted  refused  unlike expected")
    for (country, tally) in tallies.sorted(by: { $0.key < $1.key }) {
        print(country.padding(toLength: 8, withPad: " ", startingAt: 0)
              + String(format: "%9d %9d %8d %16d", tally.accepted + tally.refused, tally.accepted, tally.refused, tally.disagreements))
    }
    let total = tallies.values.reduce(Tally()) {
        Tally(accepted: $0.accepted + $1.accepted, refused: $0.refused + $1.refused, disagreements: $0.disagreements + $1.disagreements)
    }
    print(String(format: "all     %9d %9d %8d %16d", total.accepted + total.refused, total.accepted, total.refused, total.disagreements))
    print("\nrefused:")
    refusals.forEach { print("  \($0)") }
    if !disagreements.isEmpty {
        print("\nunlike expected:")
        disagreements.forEach { print("  \($0)") }
    }
}
