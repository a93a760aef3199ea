#!/usr/bin/env bash
# The whole test suite: type check, lint, then every vitest test (unit, integration against the
# simulator, real nginx + Chromium browser tests, systemd-analyze, the sqlite3 CLI, Prometheus).
# Installs the Debian packages the tests drive when they are missing, so a fresh machine works.
# Extra arguments go to vitest (e.g. `npm test -- test/unit`).
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || missing+=(nginx-light)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# Prometheus and promtool (one Debian package): the metrics test scrapes the agent's /metrics.
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || missing+=(prometheus)
# the boot test (test/integration/ops-boot.test.ts): a Debian root booted with systemd-nspawn
command -v systemd-nspawn >/dev/null 2>&1 || missing+=(systemd-container)
{ command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ]; } || missing+=(debootstrap)
# htpasswd, for the README's access-control commands (test/integration/ops-nginx-hardening.test.ts)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
# the container image test (test/integration/container-image.test.ts): podman with runc, and
# debootstrap for its base image (no registry is needed)
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
# podman kube play needs catatonit for the pod's pause container
{ command -v catatonit >/dev/null 2>&1 || [ -x /usr/libexec/podman/catatonit ]; } || missing+=(catatonit)
# The inbox's hostile-member tests (issue 11): throw-away users, setpriv/unshare/nsenter, mkfifo.
{ command -v useradd >/dev/null 2>&1 || [ -x /usr/sbin/useradd ]; } || missing+=(passwd)
{ command -v setpriv >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1 && command -v nsenter >/dev/null 2>&1; } || missing+=(util-linux)
command -v mkfifo >/dev/null 2>&1 || missing+=(coreutils)
# PostgreSQL (issue 17): a throw-away server for the run (test/support/pg-global.ts) and psql for
# the documented queries; the package also creates the `postgres` user the server runs as.
{ compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && command -v psql >/dev/null 2>&1; } || missing+=(postgresql postgresql-client)
if ((${#missing[@]})); then
  echo "test.sh: installing Debian packages the tests need: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || { echo "test.sh: could not install ${missing[*]}; install them and run again" >&2; exit 1; }
fi

# A checkout updated since the last install (a new dependency in package-lock.json) installs again;
# npm keeps its own copy of the lock it installed in node_modules/.package-lock.json.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm install --no-audit --no-fund; fi

status=0
echo "== typecheck"; npx tsc --noEmit || status=1
echo "== lint"; npx eslint . || status=1
echo "== tests"; npx vitest run "$@" || status=1
exit $status
