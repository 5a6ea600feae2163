# Sourced by setup.sh and build_shardserver.sh: puts a Go >= 1.24 on PATH to build
# aviary-shardserver (FerretDB v1.24 needs it). The Go already installed when new enough;
# otherwise the approved toolchain below, fetched from the Go module proxy as the go command
# itself fetches toolchains (module golang.org/toolchain) and kept in ~/.cache/aviary. Debian
# 12's own Go is 1.19: too old, and older than the go command's own toolchain switching.
AVIARY_GO_TOOLCHAIN=go1.27.3

aviary_go_new_enough() {
  local v major minor
  v=$("$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  major=${v%%.*}
  minor=${v#*.}
  minor=${minor%%.*}
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  ((major > 1 || minor >= 24))
}

aviary_go_arch() {
  case "$(uname -m)" in
    x86_64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) uname -m ;;
  esac
}

# Fetches $AVIARY_GO_TOOLCHAIN into $1 from the first proxy of $GOPROXY.
aviary_fetch_go() {
  local dir=$1 proxy arch name url tmp
  proxy=${GOPROXY:-https://proxy.golang.org}
  proxy=${proxy%%[,|]*}
  if [[ "$proxy" == direct || "$proxy" == off ]]; then
    echo "setup: no Go >= 1.24 here, and GOPROXY=$GOPROXY names no proxy to fetch $AVIARY_GO_TOOLCHAIN from;" \
      "install Go >= 1.24 (https://go.dev/doc/install) or set GOPROXY" >&2
    return 1
  fi
  arch=$(aviary_go_arch)
  name="v0.0.1-$AVIARY_GO_TOOLCHAIN.linux-$arch"
  url="$proxy/golang.org/toolchain/@v/$name.zip"
  echo "setup: no Go >= 1.24 on PATH ($(command -v go >/dev/null && go env GOVERSION || echo none));" \
    "fetching $AVIARY_GO_TOOLCHAIN from $url" >&2
  tmp=$(mktemp -d)
  if ! curl -fsSL --retry 3 -o "$tmp/go.zip" "$url" || ! unzip -q "$tmp/go.zip" -d "$tmp"; then
    rm -rf "$tmp"
    echo "setup: cannot fetch $url; install Go >= 1.24 (https://go.dev/doc/install) and run this again" >&2
    return 1
  fi
  # Module zips keep no file modes: make the tools executable, as the go command does.
  local root="$tmp/golang.org/toolchain@$name"
  chmod +x "$root"/bin/* "$root"/pkg/tool/*/*
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$root" "$dir"
  rm -rf "$tmp"
}

aviary_ensure_go() {
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    export PATH="$PATH:/usr/local/go/bin"  # where Go's own tarball installs
  fi
  if command -v go >/dev/null 2>&1 && aviary_go_new_enough go; then
    return 0
  fi
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/aviary/$AVIARY_GO_TOOLCHAIN"
  if ! { [ -x "$dir/bin/go" ] && aviary_go_new_enough "$dir/bin/go"; }; then
    aviary_fetch_go "$dir" || return 1
  fi
  export PATH="$dir/bin:$PATH"
  export GOTOOLCHAIN=local  # this one, not another it might pick
}
