#!/usr/bin/env bash
# Ingest benchmark (issue 2, point 10): Keeptrail's HTTP ingest against the databases' own
# bulk loaders, on SQLite and on PostgreSQL, with the same rows.
#
#   bash bench/ingest.sh                  # 1M events
#   EVENTS=100000 bash bench/ingest.sh    # a quicker run
#
# For each database it:
#   1. migrates a fresh database, creates a gateway API key, starts `keeptrail serve`, sends
#      one heartbeat per gateway (registering gateways and teams, not timed), and
#      posts the events as NDJSON (BATCH lines per request, CLIENTS concurrent requests);
#   2. migrates another fresh database (same schema and indexes) and loads the same rows
#      from CSV into decision_events with the native loader: `sqlite3 .import --csv` with
#      Keeptrail's SQLite settings (journal_mode=WAL, synchronous=FULL, a 64 MiB page cache,
#      temp_store=MEMORY), `psql \copy ... CSV`;
# then checks both hold exactly EVENTS rows and prints events/s and the ratio ours/native.
# Only the load itself is timed (not migration or server start). PostgreSQL is a throwaway
# server from scripts/testpg.sh (loopback, fsync off: both loaders measure CPU, not flushes).
#
# The clients: one per gateway of the generated traffic (12), each posting BATCH lines per
# request and waiting for the answer before the next, as gateways do.
#
# Environment: EVENTS (1000000), BATCH (5000), CLIENTS (12), REPEAT (1; rounds of both
# loads, alternating, with the median ratio printed when more than one), SEED (1), WORK
# (a temp folder, removed at the end unless KEEP=1), DATABASES ("sqlite postgres"),
# KEEPTRAIL_BIN (use this binary instead of building cmd/keeptrail), PROFILE=1 to save a
# 30 s CPU profile of the server during each HTTP load into WORK (serve --pprof-addr).
set -euo pipefail

cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-1000000}
BATCH=${BATCH:-5000}
CLIENTS=${CLIENTS:-12}
REPEAT=${REPEAT:-1}
SEED=${SEED:-1}
DATABASES=${DATABASES:-sqlite postgres}
KEEP=${KEEP:-0}
PROFILE=${PROFILE:-0}
WORK=${WORK:-$(mktemp -d /tmp/keeptrail-bench.XXXXXX)}
mkdir -p "$WORK"
# The throwaway PostgreSQL runs as user postgres when we are root: it must reach WORK.
chmod 755 "$WORK"

. bench/lib.sh
need_tools "apt-get install sqlite3 postgresql-client-15 curl" sqlite3 psql curl

server_pid=""
pgdir=""
cleanup() {
	local rc=$?
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [ -n "$pgdir" ]; then
		bash scripts/testpg.sh stop "$pgdir" >/dev/null 2>&1 || true
	fi
	if [ "$KEEP" != 1 ]; then
		rm -rf "$WORK"
	else
		echo "bench: kept $WORK" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT

now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

say "building keeptrail and the benchmark client"
build_keeptrail_and_ingestbench

say "generating $EVENTS events (NDJSON and CSV)"
"$IB" gen -n "$EVENTS" -seed "$SEED" -ndjson "$WORK/events.ndjson" -csv "$WORK/events.csv" \
	-heartbeats "$WORK/heartbeats.ndjson"
ls -l "$WORK/events.ndjson" "$WORK/events.csv" >&2

COLUMNS_CSV="id, request_id, occurred_at, gateway_id, team_id, user_name, model, decision, severity, policies_evaluated, rules_matched, categories, latency_ms, tokens_in, tokens_out, cost_usd"

# count DB prints the number of decision events stored.
count() {
	case $1 in
	postgres://*) psql -X -qAt "$1" -c "SELECT count(*) FROM decision_events" ;;
	*) sqlite3 "$1" "SELECT count(*) FROM decision_events" ;;
	esac
}

# elapsed T0 T1 sets SECS to the seconds between two now readings.
elapsed() { SECS=$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'); }

# The loaders below run in this shell (not in $(...)), so that the EXIT trap can stop a
# server they started; each sets SECS to the duration of its load.

# ours NAME DSN: load the NDJSON over HTTP into a fresh database.
ours() {
	local name=$1 dsn=$2 port token t0 t1 n
	"$KT" migrate --db "$dsn" >&2
	token=$("$KT" apikey create --db "$dsn" --data-dir "$WORK/data-$name" --name bench --role gateway --json | "$IB" field token)
	port=$("$IB" freeport)
	local pprof=()
	if [ "$PROFILE" = 1 ]; then
		pprof_port=$("$IB" freeport)
		pprof=(--pprof-addr "127.0.0.1:$pprof_port")
	fi
	"$IB" measure -out "$WORK/usage-keeptrail-$name" -- \
		"$KT" serve --db "$dsn" --addr "127.0.0.1:$port" --data-dir "$WORK/data-$name" "${pprof[@]}" >"$WORK/serve-$name.log" 2>&1 &
	server_pid=$!
	"$IB" wait -url "http://127.0.0.1:$port/readyz" -timeout 120s
	# Gateways announce themselves with a heartbeat before sending events; this registers
	# the gateways and teams (not timed).
	"$IB" post -url "http://127.0.0.1:$port" -token "$token" -path /api/v1/heartbeats \
		-file "$WORK/heartbeats.ndjson" -clients 1
	if [ "$PROFILE" = 1 ]; then
		curl -fsS -o "$WORK/cpu-$name.pprof" "http://127.0.0.1:$pprof_port/debug/pprof/profile?seconds=30" &
	fi
	t0=$(now)
	"$IB" post -url "http://127.0.0.1:$port" -token "$token" -file "$WORK/events.ndjson" -batch "$BATCH" -clients "$CLIENTS"
	t1=$(now)
	wait %curl 2>/dev/null || true
	kill "$server_pid"
	wait "$server_pid" || true
	server_pid=""
	n=$(count "$dsn")
	[ "$n" -eq "$EVENTS" ] || die "$name (keeptrail): $n rows stored, want $EVENTS"
	elapsed "$t0" "$t1"
}

# native_sqlite FILE: sqlite3 .import of the CSV into a fresh migrated database.
native_sqlite() {
	local db=$1 t0 t1 n
	"$KT" migrate --db "$db" >&2
	t0=$(now)
	"$IB" measure -out "$WORK/usage-native-sqlite" -- sqlite3 "$db" <<-EOF >&2
		PRAGMA journal_mode=WAL;
		PRAGMA synchronous=FULL;
		PRAGMA cache_size=-65536;
		PRAGMA temp_store=MEMORY;
		.import --csv $WORK/events.csv decision_events
	EOF
	t1=$(now)
	n=$(count "$db")
	[ "$n" -eq "$EVENTS" ] || die "sqlite (native): $n rows stored, want $EVENTS"
	elapsed "$t0" "$t1"
}

# native_postgres URL: psql \copy of the CSV into a fresh migrated database.
native_postgres() {
	local url=$1 t0 t1 n
	"$KT" migrate --db "$url" >&2
	t0=$(now)
	psql -X -q -v ON_ERROR_STOP=1 "$url" -c "\\copy decision_events($COLUMNS_CSV) FROM '$WORK/events.csv' CSV" >&2
	t1=$(now)
	n=$(count "$url")
	[ "$n" -eq "$EVENTS" ] || die "postgres (native): $n rows stored, want $EVENTS"
	elapsed "$t0" "$t1"
}

results=()
for round in $(seq 1 "$REPEAT"); do
for db in $DATABASES; do
	case $db in
	sqlite)
		say "SQLite (round $round of $REPEAT): keeptrail HTTP ingest ($BATCH lines per request, $CLIENTS clients)"
		rm -f "$WORK"/ours.db* "$WORK"/native.db*
		ours sqlite "$WORK/ours.db"
		ours_s=$SECS
		say "SQLite (round $round of $REPEAT): sqlite3 .import"
		native_sqlite "$WORK/native.db"
		native_s=$SECS
		;;
	postgres)
		say "PostgreSQL (round $round of $REPEAT): starting a throwaway server"
		pgdir="$WORK/pg"
		rm -rf "$pgdir"
		base=$(bash scripts/testpg.sh start "$pgdir")
		psql -X -q "$base" -c "CREATE DATABASE ours" -c "CREATE DATABASE native"
		say "PostgreSQL: keeptrail HTTP ingest ($BATCH lines per request, $CLIENTS clients)"
		ours postgres "${base%%/postgres\?*}/ours?${base#*\?}"
		ours_s=$SECS
		say "PostgreSQL: psql \\copy"
		native_postgres "${base%%/postgres\?*}/native?${base#*\?}"
		native_s=$SECS
		bash scripts/testpg.sh stop "$pgdir" >/dev/null
		pgdir=""
		;;
	*) die "unknown database $db (sqlite, postgres)" ;;
	esac
	results+=("$db $ours_s $native_s")
	for f in "$WORK"/usage-*; do
		[ -e "$f" ] && mv "$f" "$WORK/round$round-${f##*/usage-}"
	done
done
done

echo
printf '%-10s %12s %14s %12s %14s %8s\n' database "keeptrail s" "keeptrail ev/s" "native s" "native ev/s" ratio
for r in "${results[@]}"; do
	read -r db o n <<<"$r"
	printf '%-10s %12s %14s %12s %14s %8s\n' "$db" "$o" "$(rate "$EVENTS" "$o")" "$n" "$(rate "$EVENTS" "$n")" \
		"$(awk -v o="$o" -v n="$n" 'BEGIN { printf "%.2fx", n / o }')"
done
echo "($EVENTS events, $BATCH lines per request, $CLIENTS clients; ratio = keeptrail events/s / native events/s; target >= 0.5x)"
if [ "$REPEAT" -gt 1 ]; then
	for db in $DATABASES; do
		printf '%s\n' "${results[@]}" | awk -v db="$db" '$1 == db { print $3 / $2 }' | sort -g |
			awk -v db="$db" '{ r[NR] = $1 } END { m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
				printf "%s: median ratio %.2fx over %d rounds (min %.2fx, max %.2fx)\n", db, m, NR, r[1], r[NR] }'
	done
fi
echo
echo "CPU time and bytes written to storage by the process that did the load:"
for f in "$WORK"/round*-*; do
	[ -e "$f" ] || continue
	printf '%-34s %s\n' "${f##*/}" "$(cat "$f")"
done
echo "(keeptrail-postgres counts the Keeptrail server only, not the PostgreSQL backends)"
