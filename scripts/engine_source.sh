#!/usr/bin/env bash
# Fetches a DNS engine's Debian source package (e.g. knot) into a cache folder and unpacks it, with
# a private apt sources list of type deb-src kept in that folder: the machine's own apt sources are
# never touched. The version is the installed package's when there is one (the live engine and the
# code under verification then match), else the candidate. Prints the unpacked tree's path.
# Idempotent: a tree already unpacked is reused. Needs apt-get and access to deb.debian.org.
#
# Usage: scripts/engine_source.sh PACKAGE [CACHE_DIR]
#   CACHE_DIR defaults to $LLMS_ENGINE_SOURCES, else ~/.cache/llmserving/sources.
# Example: scripts/engine_source.sh knot   # -> ~/.cache/llmserving/sources/knot-3.2.6
set -euo pipefail
pkg=${1:?usage: scripts/engine_source.sh PACKAGE [CACHE_DIR]}
cache=${2:-${LLMS_ENGINE_SOURCES:-${XDG_CACHE_HOME:-$HOME/.cache}/llmserving/sources}}
mkdir -p "$cache/apt/lists/partial" "$cache/apt/archives/partial"
# One fetch at a time per cache (tests may call this concurrently).
exec 9>"$cache/.lock"
flock 9
version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
upstream=${version#*:}
upstream=${upstream%-*}
if [ -n "$upstream" ] && [ -f "$cache/$pkg-$upstream/.unpacked" ]; then
  echo "$cache/$pkg-$upstream"
  exit 0
fi
if [ -z "$upstream" ]; then
  # Not installed: a tree fetched earlier will do.
  for tree in "$cache/$pkg"-[0-9]*; do
    if [ -f "$tree/.unpacked" ]; then
      echo "$tree"
      exit 0
    fi
  done
fi
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$cache/sources.list" <<LIST
deb-src [signed-by=$keyring] http://deb.debian.org/debian $suite main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security $suite-security main
LIST
opts=(-o "Dir::Etc::SourceList=$cache/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache=$cache/apt" -o Debug::NoLocking=1
      -o APT::Sandbox::User=root)
echo "engine_source: fetching the $pkg source package${version:+ $version} into $cache" >&2
apt-get "${opts[@]}" update -qq >&2
(cd "$cache" && apt-get "${opts[@]}" source --download-only -qq "$pkg${version:+=$version}" >&2)
orig=$( (ls -t "$cache/${pkg}_${upstream:-}"*.orig.tar.* 2>/dev/null || true) |
  awk '!/\.asc$/ && !found { print; found = 1 }')
[ -n "$orig" ] || { echo "engine_source: no upstream tarball of $pkg was downloaded" >&2; exit 1; }
tree=$(tar tf "$orig" | awk -F/ 'NR == 1 { print $1 }')
tar xf "$orig" -C "$cache"
touch "$cache/$tree/.unpacked"
echo "$cache/$tree"
