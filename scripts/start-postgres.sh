#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 for the store tests and
# prints its connection URL on stdout (everything else goes to stderr).
#
#   export NURI_TEST_POSTGRES_URL="$(scripts/start-postgres.sh)"
#   go test ./store/... ./usage/...
#
# Environment:
#   NURI_PG_PORT  port to listen on (default 55432)
#   NURI_PG_DIR   cluster directory (default: a new temporary directory)
#   NURI_PG_STOP  when set to 1, stop the cluster in NURI_PG_DIR and exit
#
# Needs the PostgreSQL server binaries (Debian: apt-get install -y postgresql).
# Run as root, the cluster is owned by the "postgres" system user, since the
# server refuses to run as root.
set -euo pipefail

port="${NURI_PG_PORT:-55432}"
url="postgres://postgres@127.0.0.1:${port}/nuri_test?sslmode=disable"

log() { echo "start-postgres: $*" >&2; }

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
	bindir="$(pg_config --bindir)"
fi
if [ -z "$bindir" ]; then
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ]; then bindir="$d"; break; fi
	done
fi
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then
	bindir="$(dirname "$(command -v initdb)")"
fi
if [ -z "$bindir" ]; then
	log "PostgreSQL server binaries not found (install the postgresql package)"
	exit 1
fi

# Run a command as the cluster owner.
as_owner() {
	if [ "$(id -u)" = "0" ]; then
		if command -v runuser >/dev/null 2>&1; then
			runuser -u postgres -- "$@"
		else
			su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
		fi
	else
		"$@"
	fi
}

if [ "${NURI_PG_STOP:-0}" = "1" ]; then
	if [ -z "${NURI_PG_DIR:-}" ]; then
		log "NURI_PG_STOP=1 needs NURI_PG_DIR"
		exit 1
	fi
	as_owner "$bindir/pg_ctl" -D "$NURI_PG_DIR/data" -m fast -w stop >&2
	exit 0
fi

# Already serving on this port? Reuse it.
if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
	log "a server already answers on 127.0.0.1:${port}; reusing it"
else
	dir="${NURI_PG_DIR:-$(mktemp -d /tmp/nuri-pg.XXXXXX)}"
	mkdir -p "$dir"
	if [ "$(id -u)" = "0" ]; then
		chown postgres:postgres "$dir"
	fi
	chmod 700 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2
			exit 1
		}
	fi
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >&2 || {
		cat "$dir/server.log" >&2 || true
		exit 1
	}
	log "cluster in ${dir} (stop: NURI_PG_STOP=1 NURI_PG_DIR=${dir} $0)"
fi

if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
	"SELECT 1 FROM pg_database WHERE datname = 'nuri_test'" | grep -q 1; then
	"$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE nuri_test" >&2
fi

echo "$url"
