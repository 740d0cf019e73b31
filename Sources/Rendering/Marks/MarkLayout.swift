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
