#!/usr/bin/env bash
# Builds the embedded database, FerretDB 1.24 on SQLite, into .tools/bin (git-ignored).
# The version is pinned in scripts/ferretdb/go.mod (and go.sum); see scripts/ferretdb/main.go for why
# this wraps FerretDB's embeddable package instead of `go install .../cmd/ferretdb`.
# Idempotent: it rebuilds only when the sources or the pin changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/scripts/ferretdb"
bin="$root/.tools/bin/ferretdb-sqlite"
stamp="$bin.stamp"

if ! command -v go >/dev/null 2>&1; then
  echo "build-ferretdb: Go is not installed. Install Go 1.24 or newer, or set MONGODB_URI to a MongoDB 6+ server." >&2
  exit 1
fi

want="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

echo "build-ferretdb: building FerretDB $(grep -o 'FerretDB v[0-9.]*' "$src/go.mod" | cut -d' ' -f2) into .tools/bin (first time takes a few minutes)..." >&2
mkdir -p "$(dirname "$bin")"
(cd "$src" && GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
echo "$want" > "$stamp"
echo "build-ferretdb: done." >&2
