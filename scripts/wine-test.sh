#!/usr/bin/env bash
# Runs Go tests built for Windows (amd64) under Wine:
#
#	scripts/wine-test.sh [go test flags] ./kernels ./gguf ...
#
# All test binaries of one run share one fresh Wine prefix, removed at the
# end. The standard library is built with one change, through go test
# -overlay: os.RemoveAll falls back to the older way of deleting a file when
# the system answers that POSIX-style deletion is not implemented, which is
# what Wine 8 answers (Windows 10 and later implement it), so that t.TempDir
# can clean up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/nuri-wine.XXXXXX")"
export NURI_WINE_PREFIX="$work/prefix"
server="/usr/lib/wine/wineserver64"
command -v "$server" >/dev/null 2>&1 || server=wineserver
cleanup() {
	WINEPREFIX="$NURI_WINE_PREFIX" "$server" -k 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

src="$(go env GOROOT)/src/internal/syscall/windows/at_windows.go"
sed 's|^\(\t*\)STATUS_NOT_SUPPORTED: |\1STATUS_NOT_SUPPORTED, NTStatus(0xC0000002) /* not implemented */: |' "$src" >"$work/at_windows.go"
if cmp -s "$src" "$work/at_windows.go"; then
	echo "wine-test: $src changed; the Wine overlay no longer applies" >&2
	exit 1
fi
printf '{"Replace":{"%s":"%s"}}\n' "$src" "$work/at_windows.go" >"$work/overlay.json"

scripts/wine-exec.sh --init "$NURI_WINE_PREFIX"
GOOS=windows GOARCH=amd64 go test -overlay "$work/overlay.json" -exec "$PWD/scripts/wine-exec.sh" "$@"
