/// The pixels of a proof, row by row from the top left, each 0xRRGGBB.
public struct ProofImage: Sendable {
    public var width: Int
    public var height: Int
    /// The size of a pixel in points, to find a place of the page in the image.
    public var pointsPerPixel: Double
    public var pixels: [UInt32]

    /// The pixel at `x`, `y` points from the page's top left corner.
    public func pixel(atPoint x: Double, _ y: Double) -> UInt32 {
        pixels[min(height - 1, Int(y / pointsPerPixel)) * width + min(width - 1, Int(x / pointsPerPixel))]
    }
}
