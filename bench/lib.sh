# Helpers shared by the benchmark scripts; source it from the repository root.

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="$PATH:/usr/local/go/bin"
fi

# need_tools HINT TOOL...: stop unless every TOOL is on PATH; HINT says how to install them.
need_tools() {
	local hint=$1 tool
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || die "$tool is needed ($hint)"
	done
}

# build_keeptrail_and_ingestbench: sets KT to $KEEPTRAIL_BIN or a fresh build of
# cmd/keeptrail in WORK, and IB to a build of bench/ingestbench in WORK.
build_keeptrail_and_ingestbench() {
	if [ -n "${KEEPTRAIL_BIN:-}" ]; then
		KT=$KEEPTRAIL_BIN
	else
		go build -o "$WORK/keeptrail" ./cmd/keeptrail
		KT="$WORK/keeptrail"
	fi
	go build -o "$WORK/ingestbench" ./bench/ingestbench
	IB="$WORK/ingestbench"
}
