import CCairo
import Letters

/// Finds a character that no font on this machine can draw before anything is
/// drawn: Pango would otherwise print an empty box, and a letter with a box
/// where a name should be is not sent.
///
/// Pango falls back through every installed font, so a character is refused
/// only when none has it. Characters already seen are remembered.
final class GlyphCoverage {
    private let measuring = MeasuringContext()
    private var context: OpaquePointer { measuring.context }
    private var drawable: Set<Unicode.Scalar> = []

    /// Throws for the first field whose text holds a character `font` and its
    /// fallbacks cannot draw, naming the field and the character.
    func check(_ document: Document, font: Font) throws(RenderError) {
        for (field, text) in Self.texts(of: document) {
            for scalar in text.unicodeScalars where scalar.value > 0x7E && !drawable.contains(scalar) {
                guard !scalar.properties.isWhitespace, scalar.properties.generalCategory != .control else { continue }
                let layout = pango_cairo_create_layout(context)!
                defer { courrier_pango_layout_unref(layout) }
                pango_layout_set_font_description(layout, font.description)
                pango_layout_set_text(layout, String(Character(scalar)), -1)
                guard pango_layout_get_unknown_glyphs_count(layout) == 0 else {
                    let code = String(scalar.value, radix: 16, uppercase: true)
                    throw RenderError(.missingGlyph, "\(field) contains \"\(Character(scalar))\" (U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)), "
                                      + "which no font on this machine can draw; the letter would show an empty box")
                }
                drawable.insert(scalar)
            }
        }
    }

    /// Every text of the document that is printed, with its field path.
    static func texts(of document: Document) -> [(String, String)] {
        func address(_ field: String, _ address: PostalAddress) -> [(String, String)] {
            [("\(field).name", address.name), ("\(field).attention", address.attention ?? ""),
             ("\(field).street", address.street), ("\(field).street2", address.streetExtra ?? ""),
             ("\(field).postal_code", address.postalCode), ("\(field).city", address.city)]
        }
        var texts = address("sender", document.sender.address) + address("recipient", document.recipient)
        texts += [("sender.email", document.sender.email ?? ""), ("sender.phone", document.sender.phone ?? ""),
                  ("number", document.number ?? ""), ("notes", document.notes ?? ""), ("body", document.body ?? "")]
        for (index, line) in document.lines.enumerated() {
            texts += [("lines[\(index)].description", line.description), ("lines[\(index)].unit", line.unit ?? "")]
        }
        if case .text(let terms)? = document.terms {
            texts.append(("terms.text", terms))
        }
        return texts
    }
}
