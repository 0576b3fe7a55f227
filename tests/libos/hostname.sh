#!/bin/sh
# $NSD_BIN as host $NODE_HOST: a UTS namespace of its own, the same pid.
exec unshare --uts -- sh -c 'hostname "$NODE_HOST" && exec "$@"' sh "$NSD_BIN" "$@"
