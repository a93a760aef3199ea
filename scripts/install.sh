#!/usr/bin/env bash
# Installs pmi-agent on a Debian / Proxmox VE host: system user and groups, directories with their
# owners and modes, the application under the prefix, the systemd unit, tmpfiles.d, an nginx site
# example (not enabled) and an example config (only when none exists). Idempotent: a second run
# changes nothing; an existing config is never touched. It installs the built application
# (`npm ci && npm run build` → dist/, plain JavaScript from tsc), and on the real system then runs
# npm ci --omit=dev in it: the service needs no compiler, bundler or TypeScript loader.
#
#   sudo scripts/install.sh                    install into /
#   sudo scripts/install.sh --dry-run          print every action, change nothing
#   sudo scripts/install.sh --root /tmp/r      install into a target root (tests, images):
#                                              users go to /tmp/r/etc/passwd|group via --prefix,
#                                              owners are set numerically from those files, no
#                                              npm, no systemctl
# Options: --prefix DIR (application, default /opt/pmi-agent), --skip-npm, --help
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT=""
DRY=0
PREFIX=/opt/pmi-agent
SKIP_NPM=0
CHANGES=0

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) PREFIX="${1#--prefix=}"; shift ;;
    --dry-run|-n) DRY=1; shift ;;
    --skip-npm) SKIP_NPM=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ -n "$ROOT" ]; then
  ROOT="$(cd "$ROOT" && pwd -P)" || { echo "install.sh: --root $ROOT does not exist" >&2; exit 2; }
  [ "$ROOT" = / ] && ROOT=""
fi
case "$PREFIX" in /*) ;; *) echo "install.sh: --prefix must be absolute" >&2; exit 2 ;; esac
if [ "$(id -u)" -ne 0 ] && [ "$DRY" -eq 0 ]; then
  echo "install.sh: run as root (or with --dry-run to see what it would do)" >&2
  exit 1
fi

AGENT_USER=pmi-agent
SUBMIT_GROUP=pmi-submit
WEB_GROUP=www-data
LOG_GROUP=adm

say() { printf '%s\n' "$*"; }
# Runs (or, in a dry run, prints) one change.
act() {
  CHANGES=$((CHANGES + 1))
  if [ "$DRY" -eq 1 ]; then say "would: $*"; else say "+ $*"; "$@"; fi
}

passwd_file() { printf '%s/etc/%s' "$ROOT" "$1"; }
# Numeric id of a user/group in the target root ("" when missing).
uid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$(passwd_file passwd)" 2>/dev/null || true; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$(passwd_file group)" 2>/dev/null || true; }
# The id for chown: numeric when known, the name otherwise (dry run before the user exists).
owner_id() { local id; id="$(uid_of "$1")"; printf '%s' "${id:-$1}"; }
group_id() { local id; id="$(gid_of "$1")"; printf '%s' "${id:-$1}"; }
user_opts() { if [ -n "$ROOT" ]; then printf -- '--prefix\n%s\n' "$ROOT"; fi; }

ensure_group() {
  local name="$1"
  if [ -n "$(gid_of "$name")" ]; then return; fi
  mapfile -t extra < <(user_opts)
  act groupadd --system "${extra[@]}" "$name"
}

ensure_user() {
  if [ -n "$(uid_of "$AGENT_USER")" ]; then
    # Membership in the submit group lets the agent read requests people dropped with mode 0640.
    if ! awk -F: -v g="$SUBMIT_GROUP" -v u="$AGENT_USER" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) f = 1 } END { exit !f }' "$(passwd_file group)"; then
      mapfile -t extra < <(user_opts)
      act usermod "${extra[@]}" --append --groups "$SUBMIT_GROUP" "$AGENT_USER"
    fi
    return
  fi
  mapfile -t extra < <(user_opts)
  act useradd --system "${extra[@]}" --gid "$AGENT_USER" --groups "$SUBMIT_GROUP" \
    --home-dir /var/lib/pmi-agent --no-create-home --shell /usr/sbin/nologin \
    --comment "PMI Dashboard agent" "$AGENT_USER"
}

# --- symlinks ---------------------------------------------------------------------------------
# pmi-agent owns the database, inbox, site and log directories, so it can put a symlink where a
# directory install.sh manages should be (e.g. inbox/done -> /etc). A re-run as root must never
# follow it: chown/chmod would hand the link's target to the service account. A symlink is
# followed only where a less trusted user cannot have planted it: in a directory owned by root and
# writable by nobody else (an admin's own link, e.g. /var/lib/pmi-agent -> /srv/pmi-agent).

# Whether a user other than root can create or replace entries in directory $1.
others_can_write() {
  local st
  st="$(stat -c '%u %a' -- "$1")" || return 0
  [ "${st% *}" != 0 ] || (( 8#${st#* } & 8#022 ))
}

# physical PATH: prints where PATH (inside the target root) really is, resolving component by
# component and following only symlinks root controls (an absolute target is taken inside the
# target root); refuses (exit 1, naming the link and its target) a symlink a less trusted user
# could have planted. Components that do not exist yet are kept as they are.
physical() {
  local cur="$ROOT" part target hops=0
  local -a todo parts
  IFS=/ read -ra todo <<< "${1#/}"
  while [ "${#todo[@]}" -gt 0 ]; do
    part="${todo[0]}"
    todo=("${todo[@]:1}")
    case "$part" in
      '' | .) continue ;;
      ..) [ "$cur" = "$ROOT" ] || cur="${cur%/*}"; continue ;;
    esac
    if [ ! -L "$cur/$part" ]; then cur="$cur/$part"; continue; fi
    target="$(readlink -- "$cur/$part")"
    if others_can_write "${cur:-/}"; then
      echo "install.sh: refusing to follow $cur/$part: it is a symlink (-> $target) in ${cur:-/}, a directory a user other than root can write; expected a real directory or file there. Nothing under it was changed. Check who made it, remove it, and run install.sh again." >&2
      exit 1
    fi
    hops=$((hops + 1))
    [ "$hops" -le 40 ] || { echo "install.sh: too many levels of symlinks in $1" >&2; exit 1; }
    IFS=/ read -ra parts <<< "$target"
    [ "${target:0:1}" = / ] && cur="$ROOT"
    todo=("${parts[@]}" "${todo[@]}")
  done
  printf '%s' "${cur:-/}"
}

# act_in DIR CMD ARGS...: runs (or prints) "CMD ARGS DIR" on the directory DIR itself, entered
# with cd, so a symlink swapped in after the check cannot redirect it (cd -P lands in the link's
# target, which pwd -P then names, and the command is refused).
act_in() {
  local dir="$1"
  shift
  CHANGES=$((CHANGES + 1))
  if [ "$DRY" -eq 1 ]; then say "would: $* $dir"; return; fi
  say "+ $* $dir"
  ( cd -P -- "$dir" && [ "$(pwd -P)" = "$dir" ] && "$@" . ) || {
    echo "install.sh: refusing to run '$*' on $dir: it is no longer the directory that was checked (replaced by a symlink?)" >&2
    exit 1
  }
}

# ensure_dir PATH MODE OWNER GROUP: create it, then fix owner and mode only where they differ.
ensure_dir() {
  local path mode="$2" owner group want have
  path="$(physical "$1")" || exit 1
  owner="$(owner_id "$3")"
  group="$(group_id "$4")"
  if [ ! -d "$path" ]; then act mkdir -p "$path"; fi
  have="$(stat -c '%u:%g' -- "$path" 2>/dev/null || echo none)"
  if [ "$have" != "$owner:$group" ]; then act_in "$path" chown "$owner:$group"; fi
  want="$mode"
  have="$(stat -c '%a' -- "$path" 2>/dev/null || echo none)"
  # stat prints 2750 for setgid dirs and 750 otherwise; compare without leading zeros.
  if [ "${have#0}" != "${want#0}" ]; then act_in "$path" chmod "$mode"; fi
}

# install_file SRC DEST MODE OWNER GROUP: copy when the content differs, then fix owner/mode.
install_file() {
  local src="$1" dest mode="$3" owner group have
  dest="$(physical "$2")" || exit 1
  owner="$(owner_id "$4")"
  group="$(group_id "$5")"
  if [ ! -d "$(dirname "$dest")" ]; then act mkdir -p "$(dirname "$dest")"; fi
  if ! cmp -s "$src" "$dest"; then act cp "$src" "$dest"; fi
  have="$(stat -c '%u:%g %a' -- "$dest" 2>/dev/null || echo none)"
  if [ "${have% *}" != "$owner:$group" ]; then act chown -h "$owner:$group" "$dest"; fi
  if [ "${have#* }" != "${mode#0}" ]; then act chmod "$mode" "$dest"; fi
}

# install_once SRC DEST MODE OWNER GROUP: only when DEST does not exist (configs people edit).
install_once() {
  if [ -e "$ROOT$2" ]; then say "keep: $2 exists, not overwritten"; return; fi
  install_file "$@"
}

# install_conffile SRC DEST MODE OWNER GROUP: a shipped config an admin may edit (the nginx site).
# Replaced on upgrade only while it is still exactly what we shipped last time (its checksum is kept
# under the prefix); an edited copy is kept and the new version goes beside it as DEST.pmi-new.
install_conffile() {
  local src="$1" dest sums="$ROOT$PREFIX/.shipped" sum_file shipped have
  dest="$(physical "$2")" || exit 1
  sum_file="$sums/$(basename "$2").sha256"
  shipped="$(cat "$sum_file" 2>/dev/null || true)"
  if [ -e "$dest" ] && ! cmp -s "$src" "$dest"; then
    have="$(sha256sum < "$dest" | cut -d' ' -f1)"
    if [ "$have" != "$shipped" ]; then
      say "keep: $2 was edited here; the new version is $2.pmi-new (compare, merge, then remove it)"
      install_file "$src" "$2.pmi-new" "$3" "$4" "$5"
      return
    fi
  fi
  install_file "$@"
  [ -d "$sums" ] || act mkdir -p "$sums"
  local want
  want="$(sha256sum < "$src" | cut -d' ' -f1)"
  if [ "$shipped" != "$want" ]; then
    if [ "$DRY" -eq 1 ]; then say "would: record $want in $sum_file"; else printf '%s\n' "$want" > "$sum_file"; fi
  fi
}

# A copy of a text file with ExecStart etc. pointing at the chosen prefix.
render_prefix() {
  local out
  out="$(mktemp)"
  sed "s#/opt/pmi-agent#$PREFIX#g" "$1" > "$out"
  printf '%s' "$out"
}

# The application to install: the checkout's build (dist/), or this directory when it is itself a
# built application (an installed copy re-running its own install.sh).
if [ -f "$SRC/dist/agent/bin/pmi-agent.js" ]; then APP="$SRC/dist"
elif [ -f "$SRC/agent/bin/pmi-agent.js" ]; then APP="$SRC"
else echo "install.sh: no built application in $SRC/dist: run 'npm ci && npm run build' first" >&2; exit 1
fi

say "pmi-agent install: source $APP, target root ${ROOT:-/}, prefix $PREFIX$([ "$DRY" -eq 1 ] && echo ', DRY RUN')"

# --- accounts -------------------------------------------------------------------------------
[ -f "$(passwd_file passwd)" ] && [ -f "$(passwd_file group)" ] || { echo "install.sh: $(passwd_file passwd) / $(passwd_file group) missing" >&2; exit 1; }
[ -n "$(gid_of "$WEB_GROUP")" ] || { echo "install.sh: group $WEB_GROUP missing (install nginx first: apt-get install nginx-light)" >&2; exit 1; }
[ -n "$(gid_of "$LOG_GROUP")" ] || { echo "install.sh: group $LOG_GROUP missing" >&2; exit 1; }
ensure_group "$AGENT_USER"
ensure_group "$SUBMIT_GROUP"
ensure_user

# --- directories (the same list as systemd/pmi-agent.tmpfiles.conf) -------------------------
ensure_dir /etc/pmi-agent 0750 root "$AGENT_USER"
ensure_dir /etc/pmi-agent/credentials 0700 root root
ensure_dir /etc/pmi-agent/secrets 0750 root "$AGENT_USER"
ensure_dir /var/lib/pmi-agent 0750 "$AGENT_USER" "$AGENT_USER"
ensure_dir /var/spool/pmi-agent 0755 root root
ensure_dir /var/spool/pmi-agent/inbox 2750 "$AGENT_USER" "$SUBMIT_GROUP"
# 3770: setgid + sticky (a member cannot delete or rename another member's file; issue 11).
for d in tmp new; do ensure_dir "/var/spool/pmi-agent/inbox/$d" 3770 "$AGENT_USER" "$SUBMIT_GROUP"; done
for d in cur done failed rejected; do ensure_dir "/var/spool/pmi-agent/inbox/$d" 2750 "$AGENT_USER" "$SUBMIT_GROUP"; done
[ -d "$ROOT/var/www" ] || ensure_dir /var/www 0755 root root
ensure_dir /var/www/pmi-dashboard 2750 "$AGENT_USER" "$WEB_GROUP"
ensure_dir /var/log/pmi-agent 0750 "$AGENT_USER" "$LOG_GROUP"
ensure_dir /run/pmi-agent 2750 "$AGENT_USER" "$WEB_GROUP"

# --- the application (root-owned, read-only for the service) --------------------------------
ensure_dir "$PREFIX" 0755 root root
while IFS= read -r -d '' f; do
  rel="${f#"$APP"/}"
  mode=0644
  [ -x "$f" ] && mode=0755
  install_file "$f" "$PREFIX/$rel" "$mode" root root
done < <(cd "$APP" && find "$APP/agent" "$APP/db" "$APP/site-templates" "$APP/systemd" "$APP/container" "$APP/scripts" "$APP/package.json" "$APP/package-lock.json" \
  "$APP/README.md" "$APP/CHANGELOG.md" -type f -print0 2>/dev/null | sort -z)
if [ ! -L "$ROOT/usr/local/bin/pmi-agent" ] && [ ! -e "$ROOT/usr/local/bin/pmi-agent" ]; then
  [ -d "$ROOT/usr/local/bin" ] || act mkdir -p "$ROOT/usr/local/bin"
  act ln -s "$PREFIX/agent/bin/pmi-agent.js" "$ROOT/usr/local/bin/pmi-agent"
fi

# --- systemd, tmpfiles, nginx example, config -------------------------------------------------
unit="$(render_prefix "$APP/systemd/pmi-agent.service")"
install_file "$unit" /etc/systemd/system/pmi-agent.service 0644 root root
rm -f "$unit"
install_file "$APP/systemd/pmi-agent.tmpfiles.conf" /etc/tmpfiles.d/pmi-agent.conf 0644 root root
install_conffile "$APP/systemd/nginx-pmi-dashboard.conf" /etc/nginx/sites-available/pmi-dashboard 0644 root root
install_once "$APP/systemd/config.example.json" /etc/pmi-agent/config.json 0640 root "$AGENT_USER"
# the JSON Schema the config names with "$schema": "./config.schema.json" (editors check against it)
install_file "$APP/systemd/config.schema.json" /etc/pmi-agent/config.schema.json 0644 root root

# --- dependencies and systemd (only on the real system) --------------------------------------
if [ -z "$ROOT" ]; then
  if [ "$SKIP_NPM" -eq 0 ]; then
    if [ ! -d "$PREFIX/node_modules" ] || ! cmp -s "$PREFIX/package-lock.json" "$PREFIX/node_modules/.package-lock.json.installed" 2>/dev/null; then
      command -v npm >/dev/null || { echo "install.sh: npm not found (apt-get install nodejs npm, Node >= 20.19)" >&2; exit 1; }
      act sh -c "cd '$PREFIX' && npm ci --omit=dev --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.json.installed"
    fi
  fi
  if [ -d /run/systemd/system ]; then
    if [ "$CHANGES" -gt 0 ]; then act systemctl daemon-reload; fi
  else
    say "note: systemd is not running here; run 'systemctl daemon-reload' on the target"
  fi
fi

if [ "$CHANGES" -eq 0 ]; then say "nothing to do: already installed"; else say "$([ "$DRY" -eq 1 ] && echo "$CHANGES changes would be made" || echo "$CHANGES changes made")"; fi
cat <<NEXT
Next steps:
  1. Put each cluster's token secret in /etc/pmi-agent/credentials/<cluster> (root, mode 0600) and
     set "tokenSecretCredential": "pmi_<cluster>" in /etc/pmi-agent/config.json.
  2. Edit /etc/pmi-agent/config.json (endpoints, tokenId, TLS fingerprint, actions.policy).
  3. Check it as the service would run it:
       systemd-run --pipe --wait -p User=pmi-agent -p LoadCredential=pmi:/etc/pmi-agent/credentials \\
         /usr/bin/node $PREFIX/agent/bin/pmi-agent.js check-config
  4. systemctl enable --now pmi-agent; journalctl -u pmi-agent -f
  5. nginx: first access control (the pages show node IPs, task users, action reasons): basic auth
     or an allow-list in /etc/nginx/pmi-dashboard.d/access.conf, commands in README "nginx"; then
     ln -s /etc/nginx/sites-available/pmi-dashboard /etc/nginx/sites-enabled/ && nginx -t && systemctl reload nginx
  Action submitters: usermod -aG pmi-submit <user>
NEXT
