#ifndef COURRIER_CDATAMATRIX_SHIM_H
#define COURRIER_CDATAMATRIX_SHIM_H

#include <dmtx.h>

#endif
