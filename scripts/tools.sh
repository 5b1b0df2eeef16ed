#!/usr/bin/env bash
# Installs the test tools the Keeptrail suite starts (SMTP today, S3 later) into .cache/bin
# under the repository root. Idempotent: a tool already there at the pinned version is
# kept; one missing or at another version is (re)built with `go install` from the Go module
# proxy. Prints what it does on stderr and, as the only line on stdout, the bin folder.
#
#   scripts/tools.sh            install every tool
#   scripts/tools.sh mailpit    install only the named tools
#
# Tests find the tools there (internal/testsmtp looks at $KEEPTRAIL_MAILPIT, then PATH,
# then .cache/bin/mailpit), so a fresh clone needs only this script before `go test`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/.cache/bin"
mkdir -p "$bin"

say() { echo "tools: $*" >&2; }

# Each tool: name, Go package to install, module whose version is pinned, version.
# Add a tool by adding a line (S3: versitygw goes here when delivery to S3 lands):
#   versitygw github.com/versity/versitygw/cmd/versitygw github.com/versity/versitygw v1.8.0
tools=(
	"mailpit github.com/axllent/mailpit github.com/axllent/mailpit v1.33.1"
)

# installed_version prints the main module version recorded in a Go binary, or nothing.
installed_version() {
	local exe=$1 module=$2
	[ -x "$exe" ] || return 0
	go version -m "$exe" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }'
}

want=("$@")
wanted() {
	[ ${#want[@]} -eq 0 ] && return 0
	local w
	for w in "${want[@]}"; do [ "$w" = "$1" ] && return 0; done
	return 1
}

for line in "${tools[@]}"; do
	read -r name pkg module version <<<"$line"
	wanted "$name" || continue
	have=$(installed_version "$bin/$name" "$module")
	if [ "$have" = "$version" ]; then
		say "$name $version already in $bin"
		continue
	fi
	if [ -n "$have" ]; then
		say "$name is $have in $bin, want $version: rebuilding"
	else
		say "installing $name $version into $bin (go install $pkg@$version; a cold build takes a minute or two)"
	fi
	start=$(date +%s)
	# Outside the repository's module so its go.mod is neither read nor changed.
	(cd / && GOBIN="$bin" GOFLAGS=-mod=mod go install "$pkg@$version")
	got=$(installed_version "$bin/$name" "$module")
	[ "$got" = "$version" ] || { say "$name: installed binary reports version '$got', want $version"; exit 1; }
	say "$name $version installed in $(($(date +%s) - start)) s"
done

echo "$bin"
