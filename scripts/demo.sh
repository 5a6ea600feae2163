#!/usr/bin/env bash
# The demo from nothing: installs what is missing, builds, then `aviary demo` brings up a local
# 3-shard cluster (shard servers, config server, coordinator, a worker next to each shard), loads
# the King James Bible sharded by hashed _id, counts its words with data-local map tasks, prints
# the top 20 words and the locality figures, and stops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh >/dev/null
exec build/bin/aviary demo "$@"
