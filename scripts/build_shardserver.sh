#!/usr/bin/env bash
# Build aviary-shardserver (embedded FerretDB + pure-Go SQLite; see tools/shardserver).
#
#   scripts/build_shardserver.sh [OUTPUT]    default OUTPUT: <repo>/build/bin/aviary-shardserver
#
# Needs only the Go module proxy (and a Go >= 1.24, which go_toolchain.sh fetches if missing). Safe to re-run:
# Go's build cache makes a no-change rebuild take about a second and leaves
# an up-to-date binary untouched.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo_root/tools/shardserver"

out="${1:-$repo_root/build/bin/aviary-shardserver}"
# go build runs from $src, so a relative OUTPUT must be resolved against the caller's cwd first.
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
mkdir -p "$(dirname "$out")"

# A Go >= 1.24: the installed one, or the one setup.sh fetched (go_toolchain.sh).
source "$repo_root/scripts/go_toolchain.sh"
aviary_ensure_go

cd "$src"
# CGO_ENABLED=0: modernc.org/sqlite is pure Go, so the binary is static and no C toolchain is needed.
# -mod=readonly: build exactly what go.mod/go.sum pin; fail rather than silently re-resolve.
# GOWORK=off: a go.work elsewhere in the tree must not change what gets built.
# -buildvcs=false: no git calls (works in any checkout state) and the same tree gives the same binary.
# -s -w: drop symbol/DWARF tables (~30% smaller); panics still print full stack traces.
CGO_ENABLED=0 GOWORK=off \
  go build -mod=readonly -trimpath -buildvcs=false -ldflags='-s -w' -o "$out" .

echo "$out"
