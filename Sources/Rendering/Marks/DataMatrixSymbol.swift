import CDataMatrix

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
