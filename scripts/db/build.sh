#!/usr/bin/env bash
# `npm run db:build`: provisions the project's default database, FerretDB 2 on PostgreSQL 18 with the
# DocumentDB extension (docs/database.md), and writes .tools/db.json, which subgraphs/shared/
# local-database.ts reads to start it. Idempotent: the first run takes minutes, later ones seconds.
#
#   1. PostgreSQL 18 + DocumentDB: the machine's own when installed (no root needed); otherwise, as
#      root on Debian, a Debian testing root built once with debootstrap into a cache folder outside
#      the clone (scripts/db/provision-root.sh); otherwise it fails with one sentence saying what to do.
#   2. FerretDB 2 and its supervisor (scripts/ferretdb) built with Go into .tools/bin (git-ignored).
#
# Progress goes to stderr; the last stderr line of a failure is the sentence the launcher shows.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
say() { echo "db:build: $*" >&2; }

# The launcher runs this at every start, and several may start at once (the test run's database
# and the launcher tests' own): one at a time, so that two never build into the same files.
mkdir -p "$root/.tools"
exec 8>"$root/.tools/.db-build.lock"
flock 8

# Where a user without this machine's setup gets a database (kept in one sentence: the launcher and
# CI show it as is). Images and tags as FerretDB documents them, at the versions used here (the
# postgres-documentdb tag FerretDB v2.7.0's own build/ferretdb-bw/Dockerfile names):
# https://docs.ferretdb.io/installation/documentdb/docker/ and
# https://docs.ferretdb.io/installation/ferretdb/docker/
elsewhere='set MONGODB_URI to a MongoDB 6+ server, or run FerretDB 2 from its published images: docker network create usage-graph; docker run -d --network usage-graph --name usage-graph-postgres -e POSTGRES_USER=ferret -e POSTGRES_PASSWORD=ferret -e POSTGRES_DB=postgres -v usage-graph-pg:/var/lib/postgresql/data ghcr.io/ferretdb/postgres-documentdb:17-0.107.0-ferretdb-2.7.0; docker run -d --network usage-graph --name usage-graph-ferretdb -p 127.0.0.1:27017:27017 -e FERRETDB_POSTGRESQL_URL=postgres://ferret:ferret@usage-graph-postgres:5432/postgres ghcr.io/ferretdb/ferretdb:2.7.0; then MONGODB_URI=mongodb://ferret:ferret@127.0.0.1:27017/ (FerretDB 2 authenticates clients as PostgreSQL users)'

# --- 1. PostgreSQL 18 with DocumentDB --------------------------------------------------------------
pg_major=18
bindir="/usr/lib/postgresql/$pg_major/bin"
control="/usr/share/postgresql/$pg_major/extension/documentdb.control"
if [[ -x "$bindir/postgres" && -f "$control" ]]; then
  say "using this machine's PostgreSQL $pg_major with DocumentDB ($bindir)."
  config="{\"mode\":\"host\",\"bindir\":\"$bindir\"}"
elif [[ "$(uname -s)" == Linux && "$(id -u)" == 0 && -x /usr/bin/apt-get && -x /usr/bin/dpkg ]]; then
  # provision-root.sh prints the root's path as its only stdout line.
  if ! pgroot="$(bash "$root/scripts/db/provision-root.sh")"; then
    say "provisioning PostgreSQL $pg_major with DocumentDB failed (see above); fix that, or $elsewhere."
    exit 1
  fi
  config="{\"mode\":\"chroot\",\"root\":\"$pgroot\",\"bindir\":\"$bindir\"}"
else
  say "no PostgreSQL $pg_major with DocumentDB is installed here and it can only be provisioned as root on Debian or Ubuntu, so $elsewhere."
  exit 1
fi

# --- 2. FerretDB 2 and the supervisor --------------------------------------------------------------
src="$root/scripts/ferretdb"
bin="$root/.tools/bin/usage-graph-db"
stamp="$bin.stamp"
if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed: install Go 1.25 or newer (https://go.dev/doc/install) to build FerretDB 2, or $elsewhere."
  exit 1
fi
want="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  say "FerretDB $(grep -o 'FerretDB/v2 v[0-9.]*' "$src/go.mod" | cut -d' ' -f2) already built."
else
  say "building FerretDB $(grep -o 'FerretDB/v2 v[0-9.]*' "$src/go.mod" | cut -d' ' -f2) into .tools/bin (the first time takes a few minutes)..."
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -o "$bin.tmp" .)
  mv "$bin.tmp" "$bin"
  echo "$want" >"$stamp"
fi
# The old FerretDB 1.24 build, if any, is no longer used.
rm -f "$root/.tools/bin/ferretdb-sqlite" "$root/.tools/bin/ferretdb-sqlite.stamp"

echo "$config" >"$root/.tools/db.json.tmp"
mv "$root/.tools/db.json.tmp" "$root/.tools/db.json"
say "ready."
