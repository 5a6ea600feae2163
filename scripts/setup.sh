#!/usr/bin/env bash
# Installs everything Aviary needs to build and test, from Debian's packages and the Go module
# proxy. Safe to run again: apt skips what is there.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl unzip
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libmongoc-dev libbson-dev libmozjs-102-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libxxhash-dev liblz4-dev libzstd-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev
  python3 python3-pymongo python3-prometheus-client
  chromium fonts-dejavu-core
  iproute2 iptables
  bible-kjv
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The shard server (embedded FerretDB) is built with Go >= 1.24 through the Go module proxy:
# the one installed, or one fetched from the proxy (go_toolchain.sh).
source "$(dirname "$0")/go_toolchain.sh"
aviary_ensure_go
echo "setup: $(go version)"
