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
    static let firstPageTop = mm(98)
    static let followingPageTop = mm(28)
    static let bodyBottom = mm(272)
    static let left = mm(20)
    static let right = mm(190)
    static var width: Double { right - left }

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
    static func fitAddress(_ document: Document, in window: PageRectangle, fonts: LetterFonts,
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
    static func footer(_ document: Document, labels: Labels, fonts: LetterFonts,
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
