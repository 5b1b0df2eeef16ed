#!/usr/bin/env bash
# Throwaway PostgreSQL 15 for tests.
#
#   scripts/testpg.sh start DIR   initdb a cluster in DIR, start it on 127.0.0.1 and a free
#                                 port (unix socket inside DIR, trust auth, fsync off), wait
#                                 until it accepts connections, and print its URL as the only
#                                 line on stdout:
#                                 postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
#   scripts/testpg.sh stop DIR    stop the cluster started in DIR (nothing to do if it is not
#                                 running).
#
# As root the server runs as user postgres (DIR is chowned to it). When the binaries are
# missing they are installed with apt-get (postgresql-15). Messages go to stderr; the
# server log is DIR/postgres.log.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

die() { echo "testpg: $*" >&2; exit 1; }

usage() { die "usage: $0 start|stop DIR"; }

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

# as_pg runs a command as the user that owns the cluster.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

ensure_binaries() {
	[ -x "$PGBIN/initdb" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "$PGBIN/initdb is missing; install postgresql-15 (needs root)"
	echo "testpg: installing postgresql-15" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y --no-install-recommends postgresql-15 >&2
	[ -x "$PGBIN/initdb" ] || die "postgresql-15 installed but $PGBIN/initdb is still missing"
}

# port_free reports whether nothing listens on 127.0.0.1:$1.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
	ensure_binaries
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "user postgres does not exist"
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ -e "$dir/data/PG_VERSION" ] && die "$dir already holds a cluster; stop it and use a fresh directory"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
		chmod 700 "$dir"
		runuser -u postgres -- test -w "$dir" || die "user postgres cannot reach $dir (is a parent directory private?)"
	fi
	as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed"; }

	local attempt port
	for attempt in 1 2 3 4 5 6 7 8; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		port_free "$port" || continue
		if as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
			start >&2; then
			echo "$port" >"$dir/port"
			"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 || die "server on port $port is not ready (see $dir/postgres.log)"
			echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			return 0
		fi
		echo "testpg: start on port $port failed (attempt $attempt), trying another port" >&2
	done
	tail -n 20 "$dir/postgres.log" >&2 || true
	die "could not start PostgreSQL"
}

stop() {
	[ -e "$dir/data/PG_VERSION" ] || die "$dir holds no cluster"
	if ! as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		echo "testpg: the cluster in $dir is not running" >&2
		return 0
	fi
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2
}

case $cmd in
start) start ;;
stop) stop ;;
*) usage ;;
esac
