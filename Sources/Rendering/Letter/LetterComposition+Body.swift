import Foundation
import CCairo
import Letters

/// The body of a letter: its line table, paragraphs, totals and payment
/// block, measured into elements and paginated.
extension LetterComposition {
    /// A piece of the body: kept whole on one page, drawn at the `y` it is given.
    struct Element {
        var height: Double
        var gapBefore: Double = 0
        var isTableRow = false
        /// Starts a new page with the element after it rather than be left
        /// alone at the bottom of one: the last row, the totals and the
        /// payment block go together.
        var keepsWithNext = false
        var draw: (Double) -> Void
    }

    struct Placement {
        var element: Element
        var y: Double
    }

    static func paginate(_ elements: [Element], tableHeader: Element) -> [[Placement]] {
        var pages: [[Placement]] = [[]]
        var y = firstPageTop
        var headerOnPage = false
        for (index, element) in elements.enumerated() {
            let needsHeader = element.isTableRow && !headerOnPage
            let gap = pages[pages.count - 1].isEmpty ? 0 : element.gapBefore
            var needed = gap + element.height + (needsHeader ? tableHeader.height : 0)
            var next = index
            while elements[next].keepsWithNext && next + 1 < elements.count {
                next += 1
                needed += elements[next].gapBefore + elements[next].height
            }
            // A group taller than a page cannot be kept together; it flows.
            if needed > bodyBottom - followingPageTop {
                needed = gap + element.height + (needsHeader ? tableHeader.height : 0)
            }
            if y + needed > bodyBottom && !pages[pages.count - 1].isEmpty {
                pages.append([])
                y = followingPageTop
                headerOnPage = false
            } else {
                y += gap
            }
            if element.isTableRow && !headerOnPage {
                pages[pages.count - 1].append(Placement(element: tableHeader, y: y))
                y += tableHeader.height
                headerOnPage = true
            }
            pages[pages.count - 1].append(Placement(element: element, y: y))
            y += element.height
        }
        return pages
    }

    static func columns() -> (description: Double, quantity: Double, unitPrice: Double, vat: Double, amount: Double) {
        (left, mm(104), mm(124), mm(150), mm(164))
    }

    static func tableHeader(_ document: Document, labels: Labels, fonts: LetterFonts, colors: LetterColors,
                                    context: OpaquePointer) -> Element {
        let c = columns()
        let cells: [(String, Double, Double, TextBlock.Alignment)] = [
            (labels.description, c.description, c.quantity - c.description - mm(3), .left),
            (labels.quantity, c.quantity, c.unitPrice - c.quantity, .right),
            (labels.unitPrice, c.unitPrice, c.vat - c.unitPrice, .right),
            (labels.vat, c.vat, c.amount - c.vat, .right),
            (labels.amount, c.amount, right - c.amount, .right),
        ]
        let blocks = cells.map { TextBlock($0.0, font: fonts.smallBold, context: context, width: $0.2, alignment: $0.3) }
        let height = (blocks.map(\.height).max() ?? 0) + mm(3)
        return Element(height: height) { y in
            colors.muted.set(context)
            for (block, cell) in zip(blocks, cells) {
                block.draw(at: cell.1, y + mm(1), in: context)
            }
            colors.accent.set(context)
            cairo_set_line_width(context, 0.8)
            cairo_move_to(context, left, y + height - mm(0.5))
            cairo_line_to(context, right, y + height - mm(0.5))
            cairo_stroke(context)
        }
    }

    static func bodyElements(_ document: Document, labels: Labels, fonts: LetterFonts, colors: LetterColors,
                                     context: OpaquePointer, measuring: Bool) throws(RenderError) -> [Element] {
        var elements: [Element] = []
        let language = document.language
        if let body = document.body {
            elements += paragraphs(body, font: fonts.regular, colors: colors, context: context)
        }
        if !document.lines.isEmpty {
            let c = columns()
            for line in document.lines {
                let quantity = LetterFormatting.decimal(line.quantity, language) + (line.unit.map { "\u{00A0}\($0)" } ?? "")
                let unitPriceCents = line.unitPrice.rescaled(to: 2)?.significand
                let unitPrice = unitPriceCents.map { LetterFormatting.amount($0, language) }
                    ?? LetterFormatting.decimal(line.unitPrice, language) + (language == .en ? "" : "\u{00A0}€")
                let cells: [(String, Double, Double, TextBlock.Alignment)] = [
                    (line.description, c.description, c.quantity - c.description - mm(3), .left),
                    (quantity, c.quantity, c.unitPrice - c.quantity, .right),
                    (unitPrice, c.unitPrice, c.vat - c.unitPrice, .right),
                    (LetterFormatting.percentage(line.vatRate, language), c.vat, c.amount - c.vat, .right),
                    (LetterFormatting.amount(line.netCents, language), c.amount, right - c.amount, .right),
                ]
                let blocks = cells.map { TextBlock($0.0, font: fonts.regular, context: context, width: $0.2, alignment: $0.3) }
                let height = (blocks.map(\.height).max() ?? 0) + mm(3.2)
                elements.append(Element(height: height, isTableRow: true) { y in
                    colors.text.set(context)
                    for (block, cell) in zip(blocks, cells) {
                        block.draw(at: cell.1, y + mm(1.6), in: context)
                    }
                    colors.rule.set(context)
                    cairo_set_line_width(context, 0.4)
                    cairo_move_to(context, left, y + height)
                    cairo_line_to(context, right, y + height)
                    cairo_stroke(context)
                })
            }
            elements[elements.count - 1].keepsWithNext = true
            elements.append(totals(document, labels: labels, fonts: fonts, colors: colors, context: context))
        }
        if let payment = try payment(document, labels: labels, fonts: fonts, colors: colors, context: context,
                                     measuring: measuring) {
            if !document.lines.isEmpty { elements[elements.count - 1].keepsWithNext = true }
            elements.append(payment)
        }
        if let notes = document.notes {
            var noteElements = paragraphs(notes, font: fonts.regular, colors: colors, context: context)
            if !noteElements.isEmpty { noteElements[0].gapBefore = mm(6) }
            elements += noteElements
        }
        return elements
    }

    /// Text split into lines that may fall on different pages, paragraphs apart.
    static func paragraphs(_ text: String, font: Font, colors: LetterColors, context: OpaquePointer) -> [Element] {
        var elements: [Element] = []
        let paragraphs = text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        for paragraph in paragraphs where !paragraph.isEmpty {
            let block = TextBlock(paragraph, font: font, context: context, width: width)
            for (index, bounds) in block.lineBounds().enumerated() {
                elements.append(Element(height: bounds.bottom - bounds.top, gapBefore: index == 0 && !elements.isEmpty ? mm(3) : 0) { y in
                    colors.text.set(context)
                    block.drawLines(index..<index + 1, at: left, y, in: context)
                })
            }
        }
        return elements
    }

    static func totals(_ document: Document, labels: Labels, fonts: LetterFonts, colors: LetterColors,
                               context: OpaquePointer) -> Element {
        let language = document.language
        let totals = document.totals
        var rows: [(String, String, Bool)] = [(labels.netTotal, LetterFormatting.amount(totals.netCents, language), false)]
        for group in totals.vatGroups {
            let label = Labels.fill(labels.vatOn, LetterFormatting.percentage(group.rate, language),
                                    LetterFormatting.amount(group.baseCents, language))
            rows.append((label, LetterFormatting.amount(group.vatCents, language), false))
        }
        let grossLabel = document.kind == .creditNote ? labels.creditTotal : labels.grossTotal
        rows.append((grossLabel, LetterFormatting.amount(totals.grossCents, language), true))

        let x = mm(104)
        let labelWidth = mm(56)
        let valueWidth = right - x - labelWidth
        let set = rows.map { row in
            (TextBlock(row.0, font: row.2 ? fonts.total : fonts.regular, context: context, width: labelWidth),
             TextBlock(row.1, font: row.2 ? fonts.total : fonts.regular, context: context, width: valueWidth, alignment: .right),
             row.2)
        }
        let height = set.reduce(0) { $0 + max($1.0.height, $1.1.height) + mm(1.6) } + mm(2)
        return Element(height: height, gapBefore: mm(4)) { top in
            var y = top
            for (label, value, emphasised) in set {
                if emphasised {
                    colors.accent.set(context)
                    cairo_set_line_width(context, 0.8)
                    cairo_move_to(context, x, y + mm(0.5))
                    cairo_line_to(context, right, y + mm(0.5))
                    cairo_stroke(context)
                    y += mm(2)
                } else {
                    colors.text.set(context)
                }
                label.draw(at: x, y, in: context)
                value.draw(at: x + labelWidth, y, in: context)
                y += max(label.height, value.height) + mm(1.6)
            }
        }
    }

    /// How to pay: for invoices and reminders that ask for money. With the
    /// sender's IBAN, a SEPA payment QR code (EPC069-12) sits on the right,
    /// with a caption saying what it is for.
    static func payment(_ document: Document, labels: Labels, fonts: LetterFonts, colors: LetterColors,
                                context: OpaquePointer, measuring: Bool) throws(RenderError) -> Element? {
        guard document.kind.asksForPayment, document.totals.grossCents > 0 else { return nil }
        let language = document.language
        let amount = LetterFormatting.amount(document.totals.grossCents, language)
        let instruction = document.dueDate.map { Labels.fill(labels.payInstruction, amount, $0.formatted(language)) }
            ?? amount
        var details: [(String, String)] = []
        if let iban = document.sender.iban {
            details.append((labels.account, "\(iban)" + (document.sender.bic.map { " · BIC \($0)" } ?? "")))
        }
        if let reference = document.paymentReference {
            details.append((labels.reference, reference.description))
        }
        let title = [labels.title[document.kind], document.number].compactMap { $0 }.joined(separator: " ")
        // A payment whose details do not fit a code (EPC069-12's 331 bytes)
        // is printed without one, as a payment without an IBAN is.
        let payload = EPCPayment(document, text: title)?.payload
        // Encoded when the letter is counted too, so that a code that cannot
        // be made fails the letter before it is charged, never at the cut;
        // only its image, of a fixed size, waits for the drawing.
        let qrCode = try payload.map { payload throws(RenderError) in
            try PaymentQRCode(payload, drawing: !measuring)
        }
        let inset = mm(4)
        let qrSide = mm(30)
        let qrColumn = payload == nil ? 0 : qrSide + mm(4)
        let innerWidth = width - 2 * inset - qrColumn
        let heading = TextBlock(labels.payTitle, font: fonts.bold, context: context, width: innerWidth)
        let text = TextBlock(instruction, font: fonts.regular, context: context, width: innerWidth)
        let caption = payload.map { _ in
            TextBlock(labels.scanToPay, font: fonts.small, context: context, width: qrSide, alignment: .center)
        }
        let labelWidth = mm(32)
        let rows = details.map {
            (TextBlock($0.0, font: fonts.small, context: context, width: labelWidth),
             TextBlock($0.1, font: fonts.bold, context: context, width: innerWidth - labelWidth))
        }
        let rowsHeight = rows.reduce(0) { $0 + max($1.0.height, $1.1.height) + mm(1) }
        let textHeight = heading.height + mm(1.5) + text.height + mm(2) + rowsHeight - mm(1)
        let codeHeight = caption.map { qrSide + mm(1) + $0.height } ?? 0
        let height = inset + max(textHeight, codeHeight) + inset
        return Element(height: height, gapBefore: mm(6)) { top in
            colors.panel.set(context)
            cairo_rectangle(context, left, top, width, height)
            cairo_fill(context)
            var y = top + inset
            colors.accent.set(context)
            heading.draw(at: left + inset, y, in: context)
            y += heading.height + mm(1.5)
            colors.text.set(context)
            text.draw(at: left + inset, y, in: context)
            y += text.height + mm(2)
            for (label, value) in rows {
                colors.muted.set(context)
                label.draw(at: left + inset, y + mm(0.4), in: context)
                colors.text.set(context)
                value.draw(at: left + inset + labelWidth, y, in: context)
                y += max(label.height, value.height) + mm(1)
            }
            if let qrCode, let caption {
                let x = right - inset - qrSide
                qrCode.draw(at: x, top + inset, side: qrSide, in: context)
                colors.muted.set(context)
                caption.draw(at: x, top + inset + qrSide + mm(1), in: context)
            }
        }
    }
}
