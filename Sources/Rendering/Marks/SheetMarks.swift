import CCairo
import CDataMatrix
import Letters

/// The inserter marks of one sheet, printed on its front side.
public struct SheetMarks: Sendable, Equatable {
    public var omr: OMRCode?
    public var dataMatrix: SheetIdentity?

    public init(omr: OMRCode?, dataMatrix: SheetIdentity?) {
        self.omr = omr
        self.dataMatrix = dataMatrix
    }
}

/// Where marks go: a band along the left edge of the front side, between the
/// folds of a letter folded in three (at 99 and 198 mm), clear of the body
/// (from 20 mm) and of either envelope window (from 22 mm). Terms pages are
/// scaled to leave the band free.
public enum MarkLayout {
    /// The band kept free of content, from the left edge.
    public static let bandWidth = mm(16)
    /// OMR bars: 8 mm long, 0.5 mm thick, one every 1/6 inch, the first
    /// (the benchmark) 110 mm from the top.
    public static let omrX = mm(5)
    public static let omrLength = mm(8)
    public static let omrThickness = mm(0.5)
    public static let omrFirstY = mm(110)
    public static let omrPitch = 72.0 / 6
    /// The DataMatrix code's top left corner and the side of one module.
    public static let dataMatrixX = mm(5)
    public static let dataMatrixY = mm(145)
    public static let dataMatrixModule = mm(0.42)

    /// Millimetres, for the manifest.
    public static func millimetres(_ points: Double) -> Double { (points / mm(1) * 100).rounded() / 100 }
}

/// Marks encoded and ready to draw: whatever can fail has failed before the
/// letter's first stroke.
struct PreparedMarks {
    let omr: [Bool]?
    let dataMatrix: [[Bool]]?

    init(_ marks: SheetMarks) throws(RenderError) {
        omr = marks.omr?.pattern
        dataMatrix = try marks.dataMatrix.map { identity throws(RenderError) in try DataMatrixSymbol(identity.description).modules }
    }
}

extension PDFCanvas {
    /// Draws `marks` on the current page, in black whatever the stream's colour.
    func draw(_ marks: PreparedMarks) {
        cairo_save(context)
        cairo_set_source_rgb(context, 0, 0, 0)
        if let omr = marks.omr {
            for (track, on) in omr.enumerated() where on {
                let centre = MarkLayout.omrFirstY + Double(track) * MarkLayout.omrPitch
                cairo_rectangle(context, MarkLayout.omrX, centre - MarkLayout.omrThickness / 2,
                                MarkLayout.omrLength, MarkLayout.omrThickness)
            }
            cairo_fill(context)
        }
        if let modules = marks.dataMatrix {
            let side = MarkLayout.dataMatrixModule
            for (row, line) in modules.enumerated() {
                for (column, on) in line.enumerated() where on {
                    cairo_rectangle(context, MarkLayout.dataMatrixX + Double(column) * side,
                                    MarkLayout.dataMatrixY + Double(row) * side, side, side)
                }
            }
            cairo_fill(context)
        }
        cairo_restore(context)
    }
}

/// A DataMatrix (ECC 200) symbol encoded by libdmtx: its modules, top row first.
struct DataMatrixSymbol {
    let modules: [[Bool]]

    init(_ text: String) throws(RenderError) {
        guard let encoder = dmtxEncodeCreate() else { throw RenderError(.marks, "libdmtx could not start") }
        var encoderPointer: UnsafeMutablePointer<DmtxEncode>? = encoder
        defer { dmtxEncodeDestroy(&encoderPointer) }
        dmtxEncodeSetProp(encoder, Int32(DmtxPropSizeRequest.rawValue), Int32(DmtxSymbolSquareAuto.rawValue))
        var bytes = Array(text.utf8)
        guard dmtxEncodeDataMatrix(encoder, Int32(bytes.count), &bytes) == DmtxPass else {
            throw RenderError(.marks, "cannot encode \"\(text)\" as a DataMatrix code")
        }
        let sizeIndex = encoder.pointee.region.sizeIdx
        let rows = Int(dmtxGetSymbolAttribute(Int32(DmtxSymAttribSymbolRows.rawValue), sizeIndex))
        let columns = Int(dmtxGetSymbolAttribute(Int32(DmtxSymAttribSymbolCols.rawValue), sizeIndex))
        // libdmtx counts symbol rows from the bottom.
        modules = (0..<rows).reversed().map { row in
            (0..<columns).map { column in
                dmtxSymbolModuleStatus(encoder.pointee.message, sizeIndex, Int32(row), Int32(column)) & Int32(DmtxModuleOnRGB) != 0
            }
        }
    }
}
