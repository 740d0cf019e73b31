import Foundation
import Testing
@testable import Letters

/// The JSON reader documents go through: RFC 8259, with a bound on nesting.
@Suite struct JSONReaderTests {
    static func read(_ text: String) throws -> JSONValue {
        try JSONReader.parse(Array(text.utf8))
    }

    @Test func readsWhatDocumentsHold() throws {
        let value = try Self.read(#" {"a": [1, -2.5e3, true, false, null], "b": "é\"\\\/\n\u00e9\ud83d\udcec", "c": {}} "#)
        #expect(value == .object(["a": .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]),
                                  "b": .string("é\"\\/\né📬"), "c": .object([:])]))
        #expect(try Self.read("\u{FEFF}[]") == .array([]))
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "expected a member name at byte 9"),
        ("[1 2]", "expected ',' or ']' at byte 4"),
        ("\"abc", "unterminated string at byte 5"),
        ("\"a\u{1}\"", "control character in a string at byte 3"),
        ("\"\\ud800\"", "lone surrogate in a string"),
        ("01", "invalid number (leading zero)"),
        ("1e999", "number out of range at byte 1"),
        ("[1] x", "unexpected text after the document at byte 5"),
        ("tru", "unexpected word at byte 1"),
        (#"{"account": "acme", "id": "X", "account": "victim"}"#, #"the member "account" is given twice at byte 32"#),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nested more than 64 deep"),
    ])
    func saysWhereTheTextGoesWrong(text: String, message: String) {
        #expect {
            try Self.read(text)
        } throws: { error in
            String(describing: error).contains(message)
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0xC3, 0x28, 0x22]) }
    }
}
