#ifndef COURRIER_CSQLITE_SHIM_H
#define COURRIER_CSQLITE_SHIM_H

#include <sqlite3.h>

/// SQLITE_TRANSIENT is a cast macro Swift cannot import: the bound bytes are copied.
static inline sqlite3_destructor_type courrier_sqlite_transient(void) { return SQLITE_TRANSIENT; }

#endif
