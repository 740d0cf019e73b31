import CCairo

/// A Cairo context on a one-pixel image, without transform: Pango lays text
/// out on it exactly as on a PDF page (the fonts' options are set per layout),
/// and nothing it draws is kept.
final class MeasuringContext {
    private let surface: OpaquePointer
    let context: OpaquePointer

    init() {
        surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1)
        context = cairo_create(surface)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }
}
