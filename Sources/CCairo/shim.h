#ifndef COURRIER_CCAIRO_SHIM_H
#define COURRIER_CCAIRO_SHIM_H

#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <malloc.h>

/// PANGO_SCALE is a macro; Swift sees this constant instead.
static const int courrier_pango_scale = PANGO_SCALE;

/// Pango objects are GObjects; g_object_unref takes a gpointer, which this keeps typed.
static inline void courrier_pango_layout_unref(PangoLayout *layout) { g_object_unref(layout); }

/// Bytes glibc's allocator has handed out and not taken back, mapped blocks
/// included: what Cairo's image surfaces cost, which Cairo does not say.
static inline size_t courrier_allocated_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

#endif
