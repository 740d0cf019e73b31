import CCairo

/// A font, as Pango describes it: `Liberation Sans Bold 9`.
final class Font {
    let description: OpaquePointer

    init(_ text: String) {
        description = pango_font_description_from_string(text)!
    }

    deinit {
        pango_font_description_free(description)
    }
}

/// A paragraph set by Pango for one Cairo context: measured once, drawn once
/// or line by line across pages.
final class TextBlock {
    private let layout: OpaquePointer
    /// The width and height of the set text, in points.
    let width: Double
    let height: Double

    enum Alignment { case left, right, center }

    /// Outlines and advances as the font designs them, for print.
    nonisolated(unsafe) private static let unhinted: OpaquePointer = {
        let options = cairo_font_options_create()!
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        return options
    }()

    /// Sets `text` in `font`; wraps at `width` points when given.
    init(_ text: String, font: Font, context: OpaquePointer, width wrapWidth: Double? = nil,
         alignment: Alignment = .left, lineSpacing: Double = 1.0) {
        layout = pango_cairo_create_layout(context)!
        // Pango assumes a 96 dpi screen; on a PDF page a point is a unit, so
        // a font of 9 points must be 9 units tall, not 12. Glyph advances are
        // not rounded to whole units either: at one unit a point, that would
        // space letters unevenly.
        let pangoContext = pango_layout_get_context(layout)
        pango_cairo_context_set_resolution(pangoContext, 72)
        pango_cairo_context_set_font_options(pangoContext, Self.unhinted)
        pango_layout_context_changed(layout)
        pango_layout_set_font_description(layout, font.description)
        if let wrapWidth {
            pango_layout_set_width(layout, Int32(wrapWidth * Double(courrier_pango_scale)))
            pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
        }
        switch alignment {
        case .left: pango_layout_set_alignment(layout, PANGO_ALIGN_LEFT)
        case .right: pango_layout_set_alignment(layout, PANGO_ALIGN_RIGHT)
        case .center: pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER)
        }
        if lineSpacing != 1.0 {
            pango_layout_set_line_spacing(layout, Float(lineSpacing))
        }
        pango_layout_set_text(layout, wrapWidth == nil ? text : Self.breakable(text), -1)
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, nil, &logical)
        let scale = Double(courrier_pango_scale)
        // A wrapped, aligned block is as wide as its wrap width; a free one as its text.
        width = wrapWidth ?? Double(logical.width) / scale
        height = Double(logical.height) / scale
    }

    deinit {
        courrier_pango_layout_unref(layout)
    }

    /// The longest run of characters without a space that Pango is given.
    static let longestRun = 48

    /// `text` with an invisible break opportunity (U+200B) after every
    /// `longestRun` characters that hold no space. Pango finds where to break
    /// a word longer than its line by trying its characters one by one, at a
    /// cost that grows with the square of the word's length: a customer's
    /// 200,000 letters without a space took 23 s. Runs this short cost little,
    /// and a word that long breaks across lines anyway.
    static func breakable(_ text: String) -> String {
        var run = 0
        var needed = false
        for character in text {
            run = character.isWhitespace ? 0 : run + 1
            if run > longestRun { needed = true; break }
        }
        guard needed else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + text.utf8.count / longestRun * 3)
        run = 0
        for character in text {
            if character.isWhitespace {
                run = 0
            } else if run == longestRun {
                result.unicodeScalars.append("\u{200B}")
                run = 0
            }
            if !character.isWhitespace { run += 1 }
            result.append(character)
        }
        return result
    }

    /// Draws the whole block with its top-left corner at `(x, y)`.
    func draw(at x: Double, _ y: Double, in context: OpaquePointer) {
        cairo_move_to(context, x, y)
        pango_cairo_show_layout(context, layout)
    }

    /// Each line's top and bottom, in points from the top of the block: where a
    /// block may be split between pages.
    func lineBounds() -> [(top: Double, bottom: Double)] {
        var bounds: [(Double, Double)] = []
        let iterator = pango_layout_get_iter(layout)!
        defer { pango_layout_iter_free(iterator) }
        let scale = Double(courrier_pango_scale)
        repeat {
            var top: Int32 = 0, bottom: Int32 = 0
            pango_layout_iter_get_line_yrange(iterator, &top, &bottom)
            bounds.append((Double(top) / scale, Double(bottom) / scale))
        } while pango_layout_iter_next_line(iterator) != 0
        return bounds
    }

    /// Draws lines `lines` of the block, the top of the first at `y`: a
    /// paragraph split between pages puts each line on one page only.
    func drawLines(_ lines: Range<Int>, at x: Double, _ y: Double, in context: OpaquePointer) {
        let iterator = pango_layout_get_iter(layout)!
        defer { pango_layout_iter_free(iterator) }
        let scale = Double(courrier_pango_scale)
        var index = 0
        var firstTop: Double?
        repeat {
            if lines.contains(index) {
                var top: Int32 = 0, bottom: Int32 = 0
                pango_layout_iter_get_line_yrange(iterator, &top, &bottom)
                var logical = PangoRectangle()
                pango_layout_iter_get_line_extents(iterator, nil, &logical)
                let lineTop = firstTop ?? Double(top) / scale
                firstTop = lineTop
                let baseline = Double(pango_layout_iter_get_baseline(iterator)) / scale
                cairo_move_to(context, x + Double(logical.x) / scale, y + baseline - lineTop)
                pango_cairo_show_layout_line(context, pango_layout_iter_get_line_readonly(iterator))
            }
            index += 1
        } while index < lines.upperBound && pango_layout_iter_next_line(iterator) != 0
    }
}
