#!/usr/bin/env bash
# Runs a Windows program (a Go test binary) under Wine, headless; the -exec
# program of scripts/wine-test.sh, which sets NURI_WINE_PREFIX to one fresh
# prefix for the whole run. Without it, each run makes its own prefix beside
# the binary (Go builds it in its own temporary folder) and removes it after.
# NURI_WINE=1 tells tests that they run under Wine, so they can skip what
# Wine itself cannot do.
#
#	scripts/wine-exec.sh program.exe [args...]
#	scripts/wine-exec.sh --init PREFIX    (make a prefix ready for Go programs)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
wine=""
for c in /usr/lib/wine/wine64 wine64 wine; do
	if command -v "$c" >/dev/null 2>&1; then wine="$(command -v "$c")"; break; fi
done
if [ -z "$wine" ]; then
	echo "wine-exec: wine64 not found (apt-get install wine64)" >&2
	exit 127
fi
server="$(dirname "$wine")/wineserver64"
[ -x "$server" ] || server="$(dirname "$wine")/wineserver"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" NURI_WINE=1
unset DISPLAY WAYLAND_DISPLAY

# prepare makes the prefix $1 and adds what Go programs need from it.
prepare() {
	WINEPREFIX="$1" "$wine" wineboot --init >/dev/null 2>&1
	# Go programs load bcryptprimitives.dll at start-up; Wine has it only
	# from version 9.
	local sys32="$1/drive_c/windows/system32"
	if [ ! -e "$sys32/bcryptprimitives.dll" ]; then
		(cd "$here/.." && GOOS='' GOARCH='' go run scripts/wine-prngdll.go -o "$sys32/bcryptprimitives.dll")
	fi
}

if [ "${1:-}" = --init ]; then
	# Keep one Wine server, and the system processes wineboot starts,
	# running for the whole run, detached from any test's output: a Wine
	# helper started by a test binary inherits its stdout, and if it lingers
	# after the test exits, go test waits for that pipe and fails the
	# package ("Test I/O incomplete"). wine-test.sh stops it at the end.
	mkdir -p "$2"
	WINEPREFIX="$2" "$server" -p </dev/null >/dev/null 2>&1
	prepare "$2"
	exit
fi

bin="$1"
shift
if [ -n "${NURI_WINE_PREFIX:-}" ]; then
	export WINEPREFIX="$NURI_WINE_PREFIX"
else
	WINEPREFIX="$(mktemp -d "$(dirname "$bin")/wineprefix.XXXXXX")"
	export WINEPREFIX
	cleanup() {
		"$server" -k 2>/dev/null || true
		rm -rf "$WINEPREFIX"
	}
	trap cleanup EXIT
	prepare "$WINEPREFIX"
fi
# The program's output goes through a file, so that nothing Wine leaves
# running can hold go test's pipe open after the program has exited.
out="$(mktemp "${TMPDIR:-/tmp}/wine-out.XXXXXX")"
rc=0
"$wine" "$bin" "$@" >"$out" 2>&1 || rc=$?
cat "$out"
rm -f "$out"
exit "$rc"
