#!/bin/bash
# The libos's own SHA-512 / HMAC-SHA-512-256 (the nsd hello MAC) against the
# FIPS examples and libsodium (tests/unit/mactool.c prints the TAP).
T=${MACTOOL:-$(dirname "$0")/../../build/tests/unit/mactool}
[ -x "$T" ] || { echo "1..0 # SKIP $T not built (make $T)"; exit 0; }
exec "$T"
