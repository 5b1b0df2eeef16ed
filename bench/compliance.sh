#!/usr/bin/env bash
# Compliance benchmark (issue 4, point 5): policy compliance status and the compliance
# score for a full quarter and all teams, on a database of EVENTS decision events (10
# million by default), from the rollups kept at ingest and from a plain SQL scan of the
# raw rows, in the same run, on SQLite and on PostgreSQL. Prints the median latency of
# each and the ratio, after checking both give the same figures.
#
#   bash bench/compliance.sh                       # 10M events, both databases
#   EVENTS=1000000 DATABASES=sqlite bash bench/compliance.sh
#
# The events are loaded through the store's ingest path (InsertEvents in transactions of
# BATCH events, which keeps the rollups), with the escalations of escalated events and a
# heartbeat from each of 12 gateways every 15 minutes. Loading 10M events takes minutes;
# set WORK to a folder to keep the SQLite file (KEEP=1) and rerun the measurement alone:
# a database that already holds events is measured as it is. PostgreSQL is the server at
# $KEEPTRAIL_TEST_POSTGRES, in schema keeptrail_bench_compliance (dropped first unless
# KEEP=1).
#
# Environment: EVENTS (10000000), BATCH (5000), RUNS (21), RAW_RUNS (3), DATABASES
# ("sqlite postgres"), WORK (a temp folder), KEEP (0).
set -euo pipefail

cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-10000000}
BATCH=${BATCH:-5000}
RUNS=${RUNS:-21}
RAW_RUNS=${RAW_RUNS:-3}
DATABASES=${DATABASES:-sqlite postgres}
KEEP=${KEEP:-0}
WORK=${WORK:-$(mktemp -d /tmp/keeptrail-compliance-bench.XXXXXX)}
mkdir -p "$WORK"
SCHEMA=keeptrail_bench_compliance

. bench/lib.sh

cleanup() {
	if [ "$KEEP" != 1 ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

say "building compliancebench"
go build -o "$WORK/compliancebench" ./bench/compliancebench

for database in $DATABASES; do
	case "$database" in
	sqlite)
		dsn="$WORK/compliance.db"
		;;
	postgres)
		if [ -z "${KEEPTRAIL_TEST_POSTGRES:-}" ]; then
			say "KEEPTRAIL_TEST_POSTGRES is unset: skipping PostgreSQL"
			continue
		fi
		dsn="$KEEPTRAIL_TEST_POSTGRES"
		if [ "$KEEP" != 1 ]; then
			"$WORK/compliancebench" -drop -db "$dsn" -schema "$SCHEMA"
		fi
		;;
	*)
		echo "bench: unknown database $database" >&2
		exit 2
		;;
	esac
	say "$database: $EVENTS events"
	"$WORK/compliancebench" -db "$dsn" -schema "$SCHEMA" -events "$EVENTS" -batch "$BATCH" -runs "$RUNS" -raw-runs "$RAW_RUNS"
	if [ "$database" = postgres ] && [ "$KEEP" != 1 ]; then
		"$WORK/compliancebench" -drop -db "$dsn" -schema "$SCHEMA"
	fi
done
