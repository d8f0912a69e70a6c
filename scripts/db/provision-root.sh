#!/usr/bin/env bash
# Builds (once) a Debian testing root holding PostgreSQL 18 with DocumentDB, and prints its path on
# stdout. Called by scripts/db/build.sh when the machine has no PostgreSQL 18 + DocumentDB of its own.
#
# Why a root of its own: DocumentDB is packaged (postgresql-18-documentdb) only in Debian testing and
# sid, and needs libc6 >= 2.38, so it does not install onto Debian 12 (libc 2.36). PostgreSQL then
# runs inside this root (chroot), with its data in the project's data folder (see
# scripts/ferretdb/postgres.go).
#
# Why in ${XDG_CACHE_HOME:-$HOME/.cache}/usage-graph and not in the clone: the root is about 1.2 GB
# and the same for every clone and CI run on the machine. The folder name is the suite and the
# package (plus a recipe number bumped when these steps change), so changing any of them builds a
# new root beside the old one instead of reusing a root that holds something else. The root is
# built in a temporary folder and renamed into place only when complete, so an interrupted build
# is never taken as ready; a lock serialises two clones provisioning at once.
set -euo pipefail
say() { echo "db:build: $*" >&2; }

suite=forky          # Debian testing at the time of writing; debootstrap ships no script for it, sid's is the same
package=postgresql-18-documentdb
recipe=1
cache="${XDG_CACHE_HOME:-$HOME/.cache}/usage-graph"
final="$cache/postgres-root-$suite-$package-r$recipe"
complete="$final/.usage-graph-complete"

mkdir -p "$cache"
exec 9>"$cache/.provision.lock"
if ! flock -n 9; then
  say "another provisioning holds $cache/.provision.lock; waiting for it..."
  flock 9
fi
if [[ -f "$complete" ]]; then
  say "using the PostgreSQL root in $final ($(cat "$complete"))."
  echo "$final"
  exit 0
fi

# Leftovers of an interrupted build (never renamed into place) go; we hold the lock, so none is live.
rm -rf "$cache"/.partial-*

if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap on this machine (apt-get)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends debootstrap >&2 ||
    { apt-get update -qq -o Acquire::Check-Valid-Until=false >&2 && apt-get install -y -qq --no-install-recommends debootstrap >&2; }
fi

# The Debian mirror this machine's own apt sources name (deb822 .sources or one-line sources.list):
# the only package source these machines reach, and the one a user's machine is configured with.
mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }' | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true)"
if [[ -z "$mirror" ]]; then
  mirror="$(cat /etc/apt/sources.list 2>/dev/null | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; break } }' | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true)"
fi
# DEBIAN_MIRROR overrides it (a machine whose sources name no plain Debian mirror, an apt proxy).
mirror="${DEBIAN_MIRROR:-$mirror}"
if [[ -z "$mirror" ]]; then
  say "no Debian mirror found in /etc/apt/sources.list*: set DEBIAN_MIRROR to the URL of one (…/debian), or set MONGODB_URI to a MongoDB 6+ server."
  exit 1
fi
script=/usr/share/debootstrap/scripts/sid

tmp="$(mktemp -d "$cache/.partial-$suite-$package.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# mktemp makes it 0700; the root's "/" must be searchable by its postgres user.
chmod 0755 "$tmp"
started=$SECONDS

# Every step that mounts something (debootstrap mounts proc and sys in the target; apt's scripts
# want proc) runs in a private mount namespace, so an interrupted step leaves no mount behind.
say "1/3 debootstrap of Debian $suite from $mirror into $tmp (about 2 minutes)..."
unshare --mount --propagation private -- \
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$tmp" "$mirror" "$script" >&2

# No service starts inside the root (there is no init in it), and postgresql-common creates no
# default cluster: the launcher creates one per data folder.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod +x "$tmp/usr/sbin/policy-rc.d"
mkdir -p "$tmp/etc/postgresql-common"
echo 'create_main_cluster = false' >"$tmp/etc/postgresql-common/createcluster.conf"

say "2/3 apt-get install $package inside the root (a few minutes)..."
# The mirror may serve a frozen copy of the suite, whose Release file apt would refuse as expired.
in_root='set -e
mount -t proc proc "$1/proc"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
# (APT::Sandbox::User=root: the cache folder is private to root, so apt'"'"'s _apt user cannot write
# its downloads there anyway and would only warn.)
apt="apt-get -y -q -o Acquire::Check-Valid-Until=false -o Dpkg::Options::=--force-confold -o APT::Sandbox::User=root"
chroot "$1" $apt install --no-install-recommends '"$package"' || {
  chroot "$1" $apt update
  chroot "$1" $apt install --no-install-recommends '"$package"'
}
chroot "$1" apt-get clean'
unshare --mount --propagation private -- sh -c "$in_root" sh "$tmp" >&2

say "3/3 checking the root..."
for f in /usr/lib/postgresql/18/bin/postgres /usr/lib/postgresql/18/bin/initdb /usr/share/postgresql/18/extension/documentdb.control; do
  [[ -e "$tmp$f" ]] || { say "the root lacks $f after the install"; exit 1; }
done
chroot "$tmp" id -u postgres >/dev/null
# The mount point for a database's data folder (scripts/ferretdb/postgres.go bind-mounts it there,
# in a mount namespace of its own, so several databases share the root at once).
mkdir -p "$tmp/var/lib/usage-graph/data"
versions="$(chroot "$tmp" dpkg-query -W -f '${Package} ${Version}, ' postgresql-18 "$package" postgresql-18-cron | sed 's/, $//')"
echo "$versions; built $(date -u +%FT%TZ) from $mirror" >"$tmp/.usage-graph-complete"
mv "$tmp" "$final"
trap - EXIT
say "PostgreSQL root ready in $final in $((SECONDS - started)) s: $versions."
echo "$final"
