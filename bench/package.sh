#!/usr/bin/env bash
# Compliance package benchmark (issue 5, point 7): a SOC 2 package for a quarter on a
# database of EVENTS decision events (2 million by default) loaded by keeptrail demo, on
# SQLite and on PostgreSQL. Prints, from separate processes so that each peak RSS is its
# own, the time and peak RSS of the reads the package needs run alone (packagebench
# -mode queries) and of the whole package (-mode package), and their ratio.
#
#   bash bench/package.sh
#   EVENTS=200000 DATABASES=sqlite bash bench/package.sh
#
# PostgreSQL is the server at $KEEPTRAIL_TEST_POSTGRES, in schema keeptrail_bench_package
# (dropped before and after unless KEEP=1). Environment: EVENTS (2000000), RUNS (3),
# DATABASES ("sqlite postgres"), WORK (a temp folder), KEEP (0).
set -euo pipefail

cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-2000000}
RUNS=${RUNS:-3}
DATABASES=${DATABASES:-sqlite postgres}
KEEP=${KEEP:-0}
WORK=${WORK:-$(mktemp -d /tmp/keeptrail-package-bench.XXXXXX)}
SCHEMA=keeptrail_bench_package
FROM=2025-01-01
TO=2025-03-31
mkdir -p "$WORK"

. bench/lib.sh
cleanup() { if [ "$KEEP" != 1 ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

say "building keeptrail and packagebench"
go build -o "$WORK/keeptrail" ./cmd/keeptrail
go build -o "$WORK/packagebench" ./bench/packagebench

for database in $DATABASES; do
	case "$database" in
	sqlite)
		dsn="$WORK/package.db"
		schema=""
		;;
	postgres)
		if [ -z "${KEEPTRAIL_TEST_POSTGRES:-}" ]; then
			say "KEEPTRAIL_TEST_POSTGRES is unset: skipping PostgreSQL"
			continue
		fi
		schema=$SCHEMA
		if [ "$KEEP" != 1 ]; then
			"$WORK/packagebench" -db "$KEEPTRAIL_TEST_POSTGRES" -schema "$schema" -mode drop
		fi
		dsn=$("$WORK/packagebench" -db "$KEEPTRAIL_TEST_POSTGRES" -schema "$schema" -mode schema)
		;;
	*)
		echo "bench: unknown database $database" >&2
		exit 2
		;;
	esac
	# With KEEP=1 and WORK kept, a loaded database is measured again as it is.
	if [ ! -e "$WORK/loaded-$database" ]; then
		say "$database: loading $EVENTS events with keeptrail demo ($FROM to $TO)"
		start=$(date +%s)
		"$WORK/keeptrail" --db "$dsn" --data-dir "$WORK/data-$database" demo --events "$EVENTS" \
			--from "$FROM" --to 2025-04-01 >/dev/null
		say "$database: loaded in $(($(date +%s) - start)) s"
		touch "$WORK/loaded-$database"
	fi
	for i in $(seq "$RUNS"); do
		"$WORK/packagebench" -db "$dsn" -mode queries -from "$FROM" -to "$TO"
		"$WORK/packagebench" -db "$dsn" -mode package -from "$FROM" -to "$TO"
	done
	if [ "$database" = postgres ] && [ "$KEEP" != 1 ]; then
		"$WORK/packagebench" -db "$KEEPTRAIL_TEST_POSTGRES" -schema "$schema" -mode drop
	fi
done
