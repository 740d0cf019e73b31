#ifndef COURRIER_CSSH_SHIM_H
#define COURRIER_CSSH_SHIM_H

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#endif
