#!/usr/bin/env bash
# Export benchmark (issue 3, point 8): `keeptrail export` of a quarter of decision events
# to CSV, against the databases' own CSV writers on the same rows, on SQLite and on
# PostgreSQL, in one run.
#
#   bash bench/export.sh                     # 2M events
#   EVENTS=10000000 bash bench/export.sh     # 10M events
#   EVENTS=200000 bash bench/export.sh       # a quick run
#
# For each database it loads EVENTS generated events (bench/ingestbench gen: one quarter,
# 12 gateways of 5 teams) into a fresh, migrated Keeptrail database (gateways and teams
# through `keeptrail ingest heartbeats`, the events with `sqlite3 .import` / `psql \copy`,
# not timed), then times, each REPEAT times, taking the best (least disturbed) run:
#   ours    keeptrail export --type events --start FROM --end TO --format csv -o FILE
#           (in-process against --db, under /usr/bin/time -v for the peak RSS);
#   native  sqlite3 -csv -header DB "SELECT ..." > FILE
#           psql -c "COPY (SELECT ...) TO STDOUT WITH CSV HEADER" > FILE
#           of the same rows in the same order (time, team, id), in two forms:
#           raw   the stored columns of decision_events, as they are (integer times and
#                 ids: the least work a database can do);
#           same  the columns Keeptrail writes: times formatted as RFC 3339 with
#                 microseconds, gateway and team names joined, everything but the id.
# and prints rows/s, the ratio ours / native (time; lower is better) and our peak RSS.
# It checks that our file has EVENTS rows and that its data rows equal the "same" native
# file's once both are normalised (Keeptrail neutralises formula cells and quotes JSON
# arrays; the generator writes none of the former).
#
# Environment: EVENTS (2000000), REPEAT (3), DATABASES ("sqlite postgres"), WORK (a temp
# folder, removed unless KEEP=1), KEEPTRAIL_BIN (use this binary). PostgreSQL is a
# throwaway server from scripts/testpg.sh (loopback, fsync off).
set -euo pipefail

cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-2000000}
REPEAT=${REPEAT:-3}
DATABASES=${DATABASES:-sqlite postgres}
KEEP=${KEEP:-0}
WORK=${WORK:-$(mktemp -d /tmp/keeptrail-exportbench.XXXXXX)}
FROM=2025-01-01
TO=2025-03-31
mkdir -p "$WORK"
chmod 755 "$WORK" # the PostgreSQL server runs as user postgres and needs to reach WORK/pg

. bench/lib.sh
need_tools "apt-get install sqlite3 postgresql-client-15 time" sqlite3 psql /usr/bin/time

pgdir=""
cleanup() {
	local rc=$?
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

say "building keeptrail and the generator"
build_keeptrail_and_ingestbench

say "generating $EVENTS events"
"$IB" gen -n "$EVENTS" -from "$FROM" -ndjson /dev/null -csv "$WORK/events.csv" -heartbeats "$WORK/heartbeats.ndjson"

LOAD_COLUMNS="id, request_id, occurred_at, gateway_id, team_id, user_name, model, decision, severity, policies_evaluated, rules_matched, categories, latency_ms, tokens_in, tokens_out, cost_usd"
START_US=$(date -u -d "$FROM" +%s)000000
END_US=$(date -u -d "$TO + 1 day" +%s)000000
WHERE="WHERE e.occurred_at >= $START_US AND e.occurred_at < $END_US ORDER BY e.occurred_at, e.team_id, e.id"
RAW="SELECT e.id, e.request_id, e.occurred_at, e.gateway_id, e.team_id, e.user_name, e.model, e.decision, e.severity, e.policies_evaluated, e.rules_matched, e.categories, e.latency_ms, e.tokens_in, e.tokens_out, e.cost_usd FROM decision_events e $WHERE"
JOIN="FROM decision_events e JOIN gateways g ON g.id = e.gateway_id JOIN teams t ON t.id = e.team_id"
REST="g.name AS gateway, t.name AS team, e.user_name AS user, e.model, e.decision, e.severity, e.policies_evaluated, e.rules_matched, e.categories, e.latency_ms, e.tokens_in, e.tokens_out, e.cost_usd"
SAME_SQLITE="SELECT strftime('%Y-%m-%dT%H:%M:%S', e.occurred_at / 1000000, 'unixepoch') || printf('.%06dZ', e.occurred_at % 1000000) AS time, e.request_id, $REST $JOIN $WHERE"
SAME_PG="SELECT to_char(to_timestamp(e.occurred_at / 1e6) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS time, e.request_id, $REST $JOIN $WHERE"

rate() { awk -v n="$EVENTS" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# prepare DSN: migrate, register gateways and teams, load the events natively.
prepare() {
	local dsn=$1 n
	"$KT" migrate --db "$dsn" --data-dir "$WORK/data" >&2
	"$KT" ingest heartbeats "$WORK/heartbeats.ndjson" --db "$dsn" --data-dir "$WORK/data" >&2
	case $dsn in
	postgres://*) psql -X -q -v ON_ERROR_STOP=1 "$dsn" -c "\\copy decision_events($LOAD_COLUMNS) FROM '$WORK/events.csv' CSV" \
		-c "VACUUM ANALYZE decision_events" >&2 ;;
	*) sqlite3 "$dsn" ".import --csv $WORK/events.csv decision_events" "ANALYZE" >&2 ;;
	esac
	n=$(native_count "$dsn")
	[ "$n" -eq "$EVENTS" ] || die "$dsn holds $n events, want $EVENTS"
}

native_count() {
	case $1 in
	postgres://*) psql -X -qAt "$1" -c "SELECT count(*) FROM decision_events" ;;
	*) sqlite3 "$1" "SELECT count(*) FROM decision_events" ;;
	esac
}

# ours DSN: sets OURS (best seconds), RSS (peak KiB) and OURS_CPU of the best run.
ours() {
	local dsn=$1 t rss cpu rss_best="" t_best=""
	for _ in $(seq "$REPEAT"); do
		rm -f "$WORK/ours.csv" "$WORK/ours.csv.manifest.json"
		/usr/bin/time -v -o "$WORK/time.txt" "$KT" export --db "$dsn" --data-dir "$WORK/data" --type events \
			--start "$FROM" --end "$TO" --format csv -o "$WORK/ours.csv" >/dev/null
		t=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$WORK/time.txt")
		rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
		cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$WORK/time.txt")
		if [ -z "$t_best" ] || awk -v a="$t" -v b="$t_best" 'BEGIN { exit !(a < b) }'; then
			t_best=$t
			rss_best=$rss
			OURS_CPU=$cpu
		fi
	done
	OURS=$t_best
	RSS=$rss_best
	local rows
	rows=$(($(wc -l <"$WORK/ours.csv") - 1))
	[ "$rows" -eq "$EVENTS" ] || die "our export of $dsn has $rows rows, want $EVENTS"
}

# native DSN SQL OUT: sets NATIVE (best seconds) and NATIVE_CPU.
native() {
	local dsn=$1 sql=$2 out=$3 best_t="" t u sy cpu
	for _ in $(seq "$REPEAT"); do
		case $dsn in
		postgres://*) /usr/bin/time -f "%e %U %S" -o "$WORK/ntime.txt" psql -X -q "$dsn" -c "COPY ($sql) TO STDOUT WITH CSV HEADER" >"$out" ;;
		*) /usr/bin/time -f "%e %U %S" -o "$WORK/ntime.txt" sqlite3 -csv -header "$dsn" "$sql" >"$out" ;;
		esac
		read -r t u sy <"$WORK/ntime.txt"
		cpu=$(awk -v a="$u" -v b="$sy" 'BEGIN { printf "%.2f", a + b }')
		if [ -z "$best_t" ] || awk -v a="$t" -v b="$best_t" 'BEGIN { exit !(a < b) }'; then
			best_t=$t
			NATIVE_CPU=$cpu
		fi
	done
	NATIVE=$best_t
}

# same_data compares our file with the native "same" file, data rows only, after
# normalising quoting (both are RFC 4180; they may quote different cells).
same_data() {
	python3 - "$WORK/ours.csv" "$WORK/same.csv" <<-'PY'
		import csv, sys
		a = csv.reader(open(sys.argv[1], newline=""))
		b = csv.reader(open(sys.argv[2], newline=""))
		next(a); next(b)
		n = 0
		for ra, rb in zip(a, b):
		    # sqlite3 prints 15 significant digits, psql and Keeptrail the shortest exact
		    # form: compare the cost as a number, to 12 digits.
		    x, y = float(ra[-1]), float(rb[-1])
		    if ra[:-1] != rb[:-1] or abs(x - y) > 1e-12 * max(abs(x), abs(y)):
		        sys.exit(f"row {n + 1} differs:\n ours   {ra}\n native {rb}")
		    n += 1
		print(n)
	PY
}

results=()
for db in $DATABASES; do
	case $db in
	sqlite)
		dsn="$WORK/bench.db"
		say "SQLite: loading $EVENTS events"
		prepare "$dsn"
		sql_same=$SAME_SQLITE
		;;
	postgres)
		say "PostgreSQL: starting a throwaway server"
		pgdir="$WORK/pg"
		base=$(bash scripts/testpg.sh start "$pgdir")
		say "PostgreSQL: loading $EVENTS events"
		prepare "$base"
		dsn=$base
		sql_same=$SAME_PG
		;;
	*) die "unknown database $db (sqlite, postgres)" ;;
	esac
	say "$db: keeptrail export ($REPEAT runs)"
	ours "$dsn"
	say "$db: native, raw columns ($REPEAT runs)"
	native "$dsn" "$RAW" "$WORK/raw.csv"
	raw=$NATIVE
	raw_cpu=$NATIVE_CPU
	say "$db: native, the same columns ($REPEAT runs)"
	native "$dsn" "${sql_same}" "$WORK/same.csv"
	same=$NATIVE
	checked=$(same_data) || die "$db: our file and the native file differ"
	say "$db: $checked data rows equal the native file's"
	results+=("$db $OURS $raw $same $RSS $OURS_CPU $raw_cpu")
	if [ "$db" = postgres ]; then
		bash scripts/testpg.sh stop "$pgdir" >/dev/null
		pgdir=""
	fi
done

echo
printf '%-9s %9s %11s | %9s %11s %6s | %9s %11s %6s | %9s | %8s %8s\n' database "ours s" "ours rows/s" "raw s" "raw rows/s" ratio \
	"same s" "same rows/s" ratio "peak RSS" "ours cpu" "raw cpu"
for r in "${results[@]}"; do
	read -r db o raw same rss ocpu rcpu <<<"$r"
	printf '%-9s %9s %11s | %9s %11s %6s | %9s %11s %6s | %5d MiB | %8s %8s\n' "$db" "$o" "$(rate "$o")" "$raw" "$(rate "$raw")" \
		"$(ratio "$o" "$raw")" "$same" "$(rate "$same")" "$(ratio "$o" "$same")" "$((rss / 1024))" "$ocpu" "$rcpu"
done
echo "($EVENTS events, best of $REPEAT runs; ratio = ours / native wall time, target <= 1.5; cpu = user + sys seconds of the"
echo " client process (for psql the server's work is not in it); load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"
