import Letters

/// Millimetres, the unit of envelope and postal standards, in PDF points.
@inline(__always) func mm(_ value: Double) -> Double { value * 72.0 / 25.4 }

/// A rectangle on the page, in points from the top-left corner.
public struct PageRectangle: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public var maxX: Double { x + width }
    public var maxY: Double { y + height }

    public func contains(x px: Double, y py: Double) -> Bool {
        px >= x && px <= maxX && py >= y && py <= maxY
    }
}

extension EnvelopeWindow {
    /// Where this window sits on an A4 sheet folded into a C5/6 or DL window
    /// envelope. Right: 118 mm from the left, 60 mm from the top, as Odoo's
    /// snailmail cover page places it; left: 22 mm / 60 mm, Pingen's letter
    /// standard. Both 85.5 x 25.5 mm.
    public var rectangle: PageRectangle {
        switch self {
        case .right: PageRectangle(x: mm(118), y: mm(60), width: mm(85.5), height: mm(25.5))
        case .left: PageRectangle(x: mm(22), y: mm(60), width: mm(85.5), height: mm(25.5))
        }
    }
}
