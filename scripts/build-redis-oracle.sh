#!/usr/bin/env bash
# Builds the Redis 8.6.3 oracle: redis-server from Debian's `redis` source package
# (5:8.6.3-1, the pristine upstream tarball in the archive's source pool), checked
# against the .dsc's SHA-256, built with `make` (about 4 minutes on 2 cores).
#
# The result is cached outside the checkout, keyed by version, so later runs skip
# the build:  ${BROOK_ORACLE_CACHE:-$HOME/.cache/brook}/redis-8.6.3/redis-server
# (plus src/t_stream.c and src/aof.c beside it, for reading).
# test-support finds it there, or wherever BROOK_REDIS8_SERVER points.
#
# Prints the binary's path on its last line.
#
# Debian keeps a version's source in its pool only while a suite carries it: once
# 8.6.3-1 is superseded this download fails, and a newer revision (or
# BROOK_DEBIAN_MIRROR pointing at an archive that keeps it) must be chosen here.
set -euo pipefail

VERSION=8.6.3
DEB_REVISION=1
SHA256=58d0d1eb49a1ea6c2179659707fec171b1e2e2b8d5157ed2ec59d1d66ad5a654
MIRROR=${BROOK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${BROOK_ORACLE_CACHE:-$HOME/.cache/brook}
DEST="$CACHE/redis-$VERSION"

if [ -x "$DEST/redis-server" ] && "$DEST/redis-server" --version | grep -q "v=$VERSION"; then
  echo "$DEST/redis-server"
  exit 0
fi

mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/build-$VERSION.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

TARBALL="redis_$VERSION.orig.tar.gz"
curl -sSfO "$MIRROR/pool/main/r/redis/redis_$VERSION-$DEB_REVISION.dsc"
curl -sSfO "$MIRROR/pool/main/r/redis/$TARBALL"
grep -q "$SHA256 .*$TARBALL" "redis_$VERSION-$DEB_REVISION.dsc" \
  || { echo "the .dsc does not list the expected checksum for $TARBALL" >&2; exit 1; }
echo "$SHA256  $TARBALL" | sha256sum -c --quiet -
tar xzf "$TARBALL"
cd "redis-$VERSION"
make -j"$(nproc)" BUILD_TLS=no >build.log 2>&1 || { tail -50 build.log >&2; exit 1; }
./src/redis-server --version | grep -q "v=$VERSION"

STAGE=$(mktemp -d "$CACHE/.redis-$VERSION.XXXXXX")
mkdir -p "$STAGE/src"
cp src/redis-server "$STAGE/redis-server"
cp src/t_stream.c src/aof.c src/stream.h "$STAGE/src/"
rm -rf "$DEST"
mv "$STAGE" "$DEST"
echo "$DEST/redis-server"
