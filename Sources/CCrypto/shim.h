#ifndef COURRIER_CCRYPTO_SHIM_H
#define COURRIER_CCRYPTO_SHIM_H

#include <openssl/evp.h>
#include <openssl/hmac.h>

#endif
