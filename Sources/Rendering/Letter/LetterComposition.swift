import Foundation
import CCairo
import Letters

/// The pages of one document, measured and paginated before anything is drawn.
///
/// Page 1: sender at the top, the recipient in the envelope window, the title,
/// number and dates beside it, then the body. The body flows over as many pages
/// as it needs; a line table repeats its header on each page, and the totals and
/// payment block are kept whole, so they always stand together on the last page.
struct LetterComposition {
    let document: Document
    let labels: Labels
    private let fonts: LetterFonts
    private let context: OpaquePointer
    private let colors: LetterColors
    private let window: PageRectangle
    private let logo: LetterLogo?

    /// Where the body may go on the first and the following pages, and where it ends.
    private static let firstPageTop = mm(98)
    private static let followingPageTop = mm(28)
    private static let bodyBottom = mm(272)
    private static let left = mm(20)
    private static let right = mm(190)
    private static var width: Double { right - left }

    private let addressBlock: TextBlock
    private let footer: TextBlock
    private let pages: [[Placement]]

    /// `measuring`: laid out to count pages only, never drawn; the payment QR
    /// code, which has a fixed size, is then not encoded.
    init(document: Document, logo: LetterLogo?, fonts: LetterFonts, context: OpaquePointer,
         measuring: Bool = false) throws(RenderError) {
        self.document = document
        self.logo = logo
        self.labels = Labels.forLanguage(document.language)
        self.fonts = fonts
        self.context = context
        self.colors = LetterColors(color: document.print.color, accent: document.sender.accentColor)
        self.window = document.envelopeWindow.rectangle
        self.addressBlock = try Self.fitAddress(document, in: window, fonts: fonts, context: context)
        self.footer = Self.footer(document, labels: labels, fonts: fonts, context: context)
        self.pages = Self.paginate(try Self.bodyElements(document, labels: labels, fonts: fonts, colors: colors, context: context,
                                                         measuring: measuring),
                                   tableHeader: Self.tableHeader(document, labels: labels, fonts: fonts, colors: colors, context: context))
        // Every block is on the page: one that runs past the body would be
        // printed cut off, yet charged.
        for (number, page) in pages.enumerated() {
            for placement in page where placement.y + placement.element.height > Self.bodyBottom + 0.5 {
                throw RenderError(.doesNotFit, "a block on page \(number + 1) (a table row, the totals or the payment slip) "
                                  + "is \(Int((placement.element.height / mm(1)).rounded())) mm tall and runs off the page; shorten it")
            }
        }
    }

    // MARK: Address

    /// The address set at the largest size that fits inside the window with a
    /// margin all round; an address that does not fit even at the smallest size
    /// is an error, never cut.
    private static func fitAddress(_ document: Document, in window: PageRectangle, fonts: LetterFonts,
                                   context: OpaquePointer) throws(RenderError) -> TextBlock {
        let lines = document.recipient.windowLines(language: document.language)
        let text = lines.joined(separator: "\n")
        let inner = (width: window.width - 2 * mm(4), height: window.height - 2 * mm(2))
        for (_, font) in fonts.addressSizes {
            let block = TextBlock(text, font: font, context: context)
            if block.width <= inner.width && block.height <= inner.height {
                return block
            }
        }
        let longest = lines.max { $0.count < $1.count } ?? ""
        throw RenderError(.addressDoesNotFit,
            "recipient address (\(lines.count) lines, longest \"\(longest)\") does not fit the \(document.envelopeWindow.rawValue) envelope window (85.5 x 25.5 mm) at \(fonts.addressSizes.last!.points) pt or larger")
    }

    // MARK: Drawing

    /// The pages the document itself takes, terms not counted.
    var pageCount: Int { pages.count }

    func draw(on canvas: PDFCanvas) {
        for (index, placements) in pages.enumerated() {
            if index == 0 {
                drawFirstPageHead()
            } else {
                drawFollowingPageHead()
            }
            for placement in placements {
                placement.element.draw(placement.y)
            }
            drawFooter(page: index + 1, of: pages.count)
            canvas.showPage()
        }
    }

    private func drawFirstPageHead() {
        let sender = document.sender
        let left = Self.left
        // With a logo, the logo stands for the name, which follows in small type.
        var y = mm(15)
        if let logo {
            y = mm(12) + logo.draw(at: left, mm(12), maxWidth: mm(60), maxHeight: mm(18),
                                   inColor: document.print.color, in: context).height + mm(2)
            colors.text.set(context)
            let name = TextBlock(sender.address.name, font: fonts.smallBold, context: context, width: mm(90))
            name.draw(at: left, y, in: context)
            y += name.height
        } else {
            colors.accent.set(context)
            let name = TextBlock(sender.address.name, font: fonts.senderName, context: context, width: mm(100))
            name.draw(at: left, y, in: context)
            y += name.height + mm(1)
        }
        colors.muted.set(context)
        var senderLines = [sender.address.street]
        if let extra = sender.address.streetExtra { senderLines.append(extra) }
        senderLines.append("\(sender.address.postalCode) \(sender.address.city)")
        if sender.address.country != "BE" {
            senderLines.append(sender.address.windowLines(language: document.language).last!)
        }
        TextBlock(senderLines.joined(separator: "\n"), font: fonts.small, context: context)
            .draw(at: left, y, in: context)

        var contact: [String] = []
        if let vat = sender.vat { contact.append("\(labels.vatNumber) \(vat)") }
        if let email = sender.email { contact.append(email) }
        if let phone = sender.phone { contact.append(phone) }
        if let iban = sender.iban { contact.append("IBAN \(iban)") }
        if let bic = sender.bic { contact.append("BIC \(bic)") }
        TextBlock(contact.joined(separator: "\n"), font: fonts.small, context: context,
                  width: mm(70), alignment: .right)
            .draw(at: Self.right - mm(70), mm(16), in: context)

        colors.text.set(context)
        addressBlock.draw(at: window.x + mm(4), window.y + (window.height - addressBlock.height) / 2, in: context)
        drawDocumentHeading()
    }

    /// Title, number and dates, on the side of the page away from the window.
    private func drawDocumentHeading() {
        let x = document.envelopeWindow == .right ? Self.left : window.maxX + mm(8)
        let width = document.envelopeWindow == .right ? window.x - mm(8) - Self.left : Self.right - x
        var y = window.y
        let title = labels.title[document.kind] ?? ""
        if !title.isEmpty {
            colors.accent.set(context)
            let block = TextBlock(title, font: fonts.title, context: context, width: width)
            block.draw(at: x, y, in: context)
            y += block.height + mm(2)
        }
        var rows: [(String, String)] = []
        if let number = document.number { rows.append((labels.number, number)) }
        rows.append((labels.issueDate, document.issueDate.formatted(document.language)))
        // A plain letter and a credit note ask nothing of the reader by a date.
        if let due = document.dueDate, document.kind != .letter, document.kind != .creditNote {
            rows.append((document.kind == .offer ? labels.validUntil : labels.dueDate, due.formatted(document.language)))
        }
        let labelWidth = mm(26)
        for (label, value) in rows {
            colors.muted.set(context)
            let labelBlock = TextBlock(label, font: fonts.small, context: context, width: labelWidth)
            labelBlock.draw(at: x, y + mm(0.4), in: context)
            colors.text.set(context)
            let valueBlock = TextBlock(value, font: fonts.bold, context: context, width: width - labelWidth)
            valueBlock.draw(at: x + labelWidth, y, in: context)
            y += max(labelBlock.height, valueBlock.height) + mm(0.8)
        }
    }

    private func drawFollowingPageHead() {
        colors.muted.set(context)
        let title = [document.sender.address.name, labels.title[document.kind] ?? "", document.number ?? ""]
            .filter { !$0.isEmpty }.joined(separator: " · ")
        TextBlock("\(title) (\(labels.continued))", font: fonts.small, context: context, width: Self.width)
            .draw(at: Self.left, mm(15), in: context)
        colors.rule.set(context)
        cairo_set_line_width(context, 0.5)
        cairo_move_to(context, Self.left, mm(21))
        cairo_line_to(context, Self.right, mm(21))
        cairo_stroke(context)
    }

    /// The sender's name, VAT number, IBAN and email on one line: what does
    /// not fit beside the page number is left out, the email first, since the
    /// head of page 1 has them all.
    private static func footer(_ document: Document, labels: Labels, fonts: LetterFonts,
                               context: OpaquePointer) -> TextBlock {
        let sender = document.sender
        var parts = [sender.address.name]
        if let vat = sender.vat { parts.append("\(labels.vatNumber) \(vat)") }
        if let iban = sender.iban { parts.append("IBAN \(iban)") }
        if let email = sender.email { parts.append(email) }
        let room = width - mm(27)
        while parts.count > 1,
              TextBlock(parts.joined(separator: " · "), font: fonts.small, context: context).width > room {
            parts.removeLast()
        }
        return TextBlock(parts.joined(separator: " · "), font: fonts.small, context: context, width: room)
    }

    private func drawFooter(page: Int, of total: Int) {
        colors.rule.set(context)
        cairo_set_line_width(context, 0.5)
        cairo_move_to(context, Self.left, mm(278))
        cairo_line_to(context, Self.right, mm(278))
        cairo_stroke(context)
        colors.muted.set(context)
        footer.draw(at: Self.left, mm(280), in: context)
        TextBlock("\(labels.page) \(page)/\(total)", font: fonts.small, context: context, width: mm(25), alignment: .right)
            .draw(at: Self.right - mm(25), mm(280), in: context)
    }

    // MARK: Body

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

    private static func paginate(_ elements: [Element], tableHeader: Element) -> [[Placement]] {
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

    private static func columns() -> (description: Double, quantity: Double, unitPrice: Double, vat: Double, amount: Double) {
        (left, mm(104), mm(124), mm(150), mm(164))
    }

    private static func tableHeader(_ document: Document, labels: Labels, fonts: LetterFonts, colors: LetterColors,
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

    private static func bodyElements(_ document: Document, labels: Labels, fonts: LetterFonts, colors: LetterColors,
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
    private static func paragraphs(_ text: String, font: Font, colors: LetterColors, context: OpaquePointer) -> [Element] {
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

    private static func totals(_ document: Document, labels: Labels, fonts: LetterFonts, colors: LetterColors,
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
    private static func payment(_ document: Document, labels: Labels, fonts: LetterFonts, colors: LetterColors,
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

/// The colours of a letter: the sender's accent for the name, the title and
/// the payment block; all greys when it prints in black and white.
struct LetterColors {
    struct RGB {
        var red, green, blue: Double
        func set(_ context: OpaquePointer) { cairo_set_source_rgb(context, red, green, blue) }

        init(red: Double, green: Double, blue: Double) {
            self.red = red
            self.green = green
            self.blue = blue
        }

        init(_ color: RGBColor) {
            self.init(red: Double(color.red) / 255, green: Double(color.green) / 255, blue: Double(color.blue) / 255)
        }

        /// This colour laid thinly over white paper: `amount` 0 is white, 1 the colour.
        func tint(_ amount: Double) -> RGB {
            RGB(red: 1 - (1 - red) * amount, green: 1 - (1 - green) * amount, blue: 1 - (1 - blue) * amount)
        }
    }

    static let defaultAccent = RGBColor(red: 0x17, green: 0x45, blue: 0x73)
    /// Text in the accent colour reads like body text (WCAG AA for small text).
    static let accentContrast = 4.5

    let text = RGB(red: 0.1, green: 0.1, blue: 0.1)
    let muted: RGB
    let rule: RGB
    let accent: RGB
    let panel: RGB

    init(color: Bool, accent brand: RGBColor?) {
        guard color else {
            muted = RGB(red: 0.38, green: 0.38, blue: 0.38)
            rule = RGB(red: 0.8, green: 0.8, blue: 0.8)
            accent = RGB(red: 0.15, green: 0.15, blue: 0.15)
            panel = RGB(red: 0.94, green: 0.94, blue: 0.94)
            return
        }
        muted = RGB(red: 0.38, green: 0.38, blue: 0.4)
        rule = RGB(red: 0.8, green: 0.8, blue: 0.82)
        let chosen = brand ?? Self.defaultAccent
        accent = RGB(chosen.darkened(toContrast: Self.accentContrast))
        panel = RGB(chosen).tint(0.08)
    }
}
