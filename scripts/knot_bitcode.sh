#!/usr/bin/env bash
# Builds Knot DNS's query-answering code, with iceberg's harness (src/iceberg/knot/harness.c), into
# one LLVM bitcode module for the symbolic executor (knot.bc), and the same code natively with a
# small driver (knot_native, src/iceberg/knot/native_main.c) to check the harness against the
# live knotd: Knot's own zone loader (libzscanner,
# knot/zone), its packet code (libknot) and knotd's query processing (knot/nameserver). The source
# is Debian's knot source package (scripts/engine_source.sh) or a tree given as SOURCE (a fork, a
# patched copy). Knot's configure runs once per tree for its config.h (in a copy, so a user's
# tree is never written). Prints the bitcode's path; the result is cached per tree and harness
# and rebuilt only when either changes.
#
# Usage: scripts/knot_bitcode.sh [SOURCE]
#   SOURCE defaults to the cached Debian source (scripts/engine_source.sh knot).
# Needs: clang-15, llvm-link-15, and the headers Knot's configure checks (libgnutls28-dev,
# liburcu-dev, liblmdb-dev): scripts/setup.sh installs them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$("$here/engine_source.sh" knot)}
src=$(cd "$src" && pwd)
[ -f "$src/src/knot/nameserver/internet.c" ] || { echo "knot_bitcode: $src is not a Knot DNS source tree" >&2; exit 1; }
harness="$here/../src/iceberg/knot/harness.c"
cache=${LLMS_ENGINE_SOURCES:-${XDG_CACHE_HOME:-$HOME/.cache}/llmserving/sources}
native_main="$here/../src/iceberg/knot/native_main.c"
key=$( (cd "$src/src" && find . \( -name '*.[ch]' -o -name '*.t0' \) -print0 | sort -z | xargs -0 sha256sum
        cat "$harness" "$native_main" "$here/knot_bitcode.sh") |
  sha256sum | cut -c1-16)
out="$cache/bitcode/knot-$key"
mkdir -p "$cache/bitcode"
# One build at a time per cache (tests may call this concurrently).
exec 9>"$cache/bitcode/.lock"
flock 9
if [ -f "$out/knot.bc" ] && [ -x "$out/knot_native" ]; then
  echo "$out/knot.bc"
  exit 0
fi
mkdir -p "$out"
# A configured copy (configure writes into the tree).
work="$out/tree"
rm -rf "$work"
cp -a "$src" "$work"
echo "knot_bitcode: configuring $src" >&2
(cd "$work" && ./configure -q CC=clang-15 --disable-utilities --disable-documentation --disable-modules \
   --disable-fastparser --disable-daemon-only >"$out/configure.log" 2>&1) ||
  { echo "knot_bitcode: configure failed (log: $out/configure.log)" >&2; tail -5 "$out/configure.log" >&2; exit 1; }
cp "$work/src/libzscanner/scanner.c.t0" "$work/src/libzscanner/scanner.c"
# The files on the load and answer paths (zonefile.c is compiled inside the harness, which needs
# its static callbacks to load a zone from text).
files=(
  libknot/dname.c libknot/descriptor.c libknot/error.c libknot/rdataset.c libknot/rrset.c
  libknot/codes.c libknot/rrset-dump.c libknot/tsig.c libknot/tsig-op.c libknot/packet/pkt.c
  libknot/packet/rrset-wire.c libknot/rrtype/opt.c libknot/rrtype/naptr.c libknot/rrtype/tsig.c
  libknot/yparser/yptrafo.c
  contrib/mempattern.c contrib/qp-trie/trie.c contrib/ucw/lists.c contrib/ucw/mempool.c
  contrib/string.c contrib/base64.c contrib/base32hex.c contrib/sockaddr.c contrib/musl/inet_ntop.c
  contrib/openbsd/strlcpy.c contrib/time.c contrib/files.c contrib/net.c contrib/getline.c
  libzscanner/error.c libzscanner/functions.c libzscanner/scanner.c
  libdnssec/binary.c libdnssec/error.c libdnssec/nsec/nsec.c
  knot/zone/contents.c knot/zone/node.c knot/zone/zone-tree.c knot/zone/adjust.c
  knot/zone/adds_tree.c knot/zone/measure.c knot/zone/semantic-check.c knot/zone/zonedb.c
  knot/zone/serial.c knot/dnssec/rrset-sign.c knot/dnssec/zone-nsec.c
  knot/nameserver/process_query.c knot/nameserver/internet.c knot/nameserver/nsec_proofs.c
  knot/nameserver/axfr.c knot/nameserver/ixfr.c
)
flags=(-c -emit-llvm -O1 -g0 -include config.h -I"$work/src" -I"$work" -I/usr/include/p11-kit-1 -w)
mkdir -p "$out/bc"
n=0
for f in "${files[@]}"; do
  clang-15 "${flags[@]}" "$work/src/$f" -o "$out/bc/$(echo "$f" | tr '/' '_').bc" ||
    { echo "knot_bitcode: clang-15 failed on $f" >&2; exit 1; }
  n=$((n + 1))
done
(cd "$work/src" && clang-15 "${flags[@]}" "$harness" -o "$out/bc/harness.bc") ||
  { echo "knot_bitcode: clang-15 failed on the harness" >&2; exit 1; }
llvm-link-15 "$out"/bc/*.bc -o "$out/knot.tmp.bc"
# The native driver: functions of paths the harness never takes (DNSSEC signing, TSIG, zone
# transfers, the configuration database) are left undefined by the files above; here they abort.
native_link() {
  clang-15 -O1 -w "$out/knot.tmp.bc" "$native_main" "$@" -o "$out/knot_native" -lurcu -lgnutls -llmdb -lm
}
native_link 2>"$out/link.log" || true
grep -o "undefined reference to \`[A-Za-z0-9_]*'" "$out/link.log" | sed "s/undefined reference to \`//; s/'//" |
  sort -u | awk '{ print "void " $1 "(void) { __builtin_trap(); }" }' >"$out/undefined.c" || true
sed -i 's/^void log_fmt_zone(void) { __builtin_trap(); }$/void log_fmt_zone(void) {}/' "$out/undefined.c"
native_link "$out/undefined.c" 2>"$out/link.log" ||
  { echo "knot_bitcode: the native driver did not link (log: $out/link.log)" >&2; exit 1; }
mv "$out/knot.tmp.bc" "$out/knot.bc"
echo "knot_bitcode: $((n + 1)) files of $src -> $out/knot.bc and $out/knot_native ($(wc -l <"$out/undefined.c") functions left undefined)" >&2
echo "$out/knot.bc"
