#ifndef COURRIER_CQRENCODE_SHIM_H
#define COURRIER_CQRENCODE_SHIM_H

#include <qrencode.h>

#endif
