#ifndef COURRIER_CPOPPLER_SHIM_H
#define COURRIER_CPOPPLER_SHIM_H

#include <poppler.h>

/// PopplerDocument and PopplerPage are GObjects: g_object_unref, typed.
static inline void courrier_poppler_document_unref(PopplerDocument *document) { g_object_unref(document); }
static inline void courrier_poppler_page_unref(PopplerPage *page) { g_object_unref(page); }

#endif
