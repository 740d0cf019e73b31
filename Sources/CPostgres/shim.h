#ifndef COURRIER_CPOSTGRES_SHIM_H
#define COURRIER_CPOSTGRES_SHIM_H

#include <libpq-fe.h>

/// A notice processor that drops what the server says at NOTICE level
/// ("relation already exists, skipping"): Courrier logs its own events.
static void courrier_pq_ignore_notice(void *arg, const char *message) { (void)arg; (void)message; }

static inline void courrier_pq_silence_notices(PGconn *connection) {
    PQsetNoticeProcessor(connection, courrier_pq_ignore_notice, 0);
}

#endif
