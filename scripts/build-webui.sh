#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The web UI's files into BUILD/www, which hoverd serves (make install copies
# them to PREFIX/share/hover/www). Our own HTML/CSS/JS from webui/, and
# xterm.js from npm at the version package-lock.json pins (`npm ci`, run again
# only when the lockfile changes). Debian's nodejs and npm are installed if
# missing, as scripts/setup-deps.sh does for the rest.
set -e
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/../webui" && pwd)
OUT="$BUILD/www"

if ! command -v npm >/dev/null 2>&1; then
	echo "hover: installing nodejs and npm from Debian (the web UI's xterm.js comes from npm)"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q nodejs npm
fi
stamp="$SRC/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$SRC/package-lock.json" -nt "$stamp" ]; then
	(cd "$SRC" && npm ci --no-audit --no-fund --loglevel=error)
fi
mkdir -p "$OUT"
for f in index.html app.js app.css; do
	cp -p "$SRC/$f" "$OUT/$f"
done
cp -p "$SRC/node_modules/@xterm/xterm/lib/xterm.js" "$OUT/xterm.js"
cp -p "$SRC/node_modules/@xterm/xterm/css/xterm.css" "$OUT/xterm.css"
