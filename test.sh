#!/usr/bin/env bash
# test.sh — the one command that checks Refuge: installs the outside tools the
# tests need when they are missing, runs the cheap gates (gofmt, go vet, go mod
# tidy, no networking in refuge-officer), the whole test suite under the race
# detector, then the slow gates (staticcheck, gosec, reproducible builds,
# cross-compiles, every fuzz target briefly). Used as is by .ci/run.
#
# Outside tools (Debian packages): minisign (stock verifier for manifest
# signatures), util-linux (script: types passphrases into stock age on a
# pseudo-terminal; prlimit/setpriv: memlock test), time (/usr/bin/time for
# peak memory), nodejs + npm (tus-js-client, a tus client nobody here wrote),
# microsocks (a SOCKS5 proxy, as Tor would be).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v minisign >/dev/null || missing+=(minisign)
{ command -v script && command -v prlimit && command -v setpriv; } >/dev/null || missing+=(util-linux)
[ -x /usr/bin/time ] || missing+=(time)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v microsocks >/dev/null || missing+=(microsocks)
if ((${#missing[@]})); then
	echo "test.sh: installing ${missing[*]}" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

tus_version=4.3.1
if [ ! -f .cache/npm/node_modules/tus-js-client/package.json ] ||
	! grep -q "\"version\": \"$tus_version\"" .cache/npm/node_modules/tus-js-client/package.json; then
	echo "test.sh: installing tus-js-client@$tus_version into .cache/npm" >&2
	npm install --silent --no-audit --no-fund --prefix .cache/npm "tus-js-client@$tus_version" >/dev/null
fi
REFUGE_TUS_JS="$PWD/.cache/npm/node_modules/tus-js-client"
REFUGE_MICROSOCKS="$(command -v microsocks)"
export REFUGE_TUS_JS REFUGE_MICROSOCKS

# Cheap gates first (gofmt, go vet, go mod tidy, no networking in the
# officer tool), then the tests under the race detector, then the slow gates
# (staticcheck, gosec, reproducible builds, cross-compiles, every fuzz target
# briefly). `./test.sh quick` stops after the tests. See .ci/gates.
.ci/gates fmt vet tidy nonet

echo "test.sh: go test -race" >&2
go test -race -count=1 ./...

if [ "${1:-}" != quick ]; then
	.ci/gates staticcheck gosec repro cross fuzz
fi
echo "test.sh: all checks passed" >&2
