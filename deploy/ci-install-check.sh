#!/usr/bin/env bash
# CI: follow deploy/INSTALL.md as written, on a release made from the clean clone (`git archive
# HEAD`), then `systemd-analyze verify` the unit where INSTALL put it. The shell blocks of
# INSTALL.md are run as they stand: each ```sh block is preceded by a marker comment
#   <!-- ci-install-check: run -->                  run it; any failing command fails the check
#   <!-- ci-install-check: informative (why) -->    run it, show the output, do not fail on it
#   <!-- ci-install-check: skip (why) -->           not possible in a container (hardware, boot)
# and `systemctl` / `journalctl` lines are printed, not run (no systemd boot in a container).
# The only text replaced is the placeholder `<release or git checkout>`. A block without a
# marker fails the check: a new INSTALL step must say whether CI can follow it.
#
# The install writes /etc, /opt, /usr (apt-get, /usr/local/bin) and /var, and adds a user. So the
# steps run in a private mount namespace where those directories are overlays on a temporary
# directory: the literal paths of INSTALL.md, and nothing of it is left on the box afterwards
# (CI's container is thrown away anyway; a developer's box is not). Needs root with
# CAP_SYS_ADMIN (CI has it: the full-disk tests mount tmpfs too).
#
# Usage: deploy/ci-install-check.sh [checkout]   (default: the clone this script is in)
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
checkout="$(cd "${1:-$here}" && pwd)"
install_md="$checkout/deploy/INSTALL.md"

if [ "$(id -u)" -ne 0 ]; then echo "ci-install-check: must run as root (INSTALL.md runs as root)" >&2; exit 2; fi

if [ "${MINEGATE_INSTALL_CHECK_INNER:-}" != 1 ]; then
  work="$(mktemp -d /tmp/minegate-install-check.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  # The release: what is committed, without node_modules, dist or the worktree's leftovers.
  mkdir -p "$work/release"
  if git -C "$checkout" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$checkout" archive HEAD | tar -x -C "$work/release"
  else
    tar -C "$checkout" --exclude=./node_modules --exclude=./dist -c . | tar -x -C "$work/release"
  fi
  start=$(date +%s)
  status=0
  MINEGATE_INSTALL_CHECK_INNER=1 MINEGATE_INSTALL_CHECK_WORK="$work" \
    unshare --mount --propagation private -- bash "$0" "$checkout" || status=$?
  echo "ci-install-check: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start )) s"
  exit $status
fi

# ---- inside the private mount namespace --------------------------------------------------------
work="$MINEGATE_INSTALL_CHECK_WORK"
for dir in /etc /opt /usr /var; do
  name="${dir//\//_}"
  mkdir -p "$work/up$name" "$work/wk$name"
  # Files bind-mounted over /etc entries (Docker's resolv.conf, hosts, hostname) are not part of
  # the lower layer: carry their content into the overlay so DNS keeps working for npm.
  saved=()
  if [ "$dir" = /etc ]; then
    for f in resolv.conf hosts hostname; do
      if [ -f "/etc/$f" ]; then cp "/etc/$f" "$work/etc-$f"; saved+=("$f"); fi
    done
  fi
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$work/up$name,workdir=$work/wk$name" "$dir"
  for f in "${saved[@]}"; do cat "$work/etc-$f" > "/etc/$f"; done
done

if [ -e /opt/minegate ] || id minegate >/dev/null 2>&1; then
  echo "ci-install-check: /opt/minegate or user minegate already exists; INSTALL.md describes a fresh box" >&2
  exit 1
fi

release="$work/release"
# Passwords for the first accounts (INSTALL section 6: scripts pass them in the environment).
export MINEGATE_NEW_PASSWORD='ci-install-check Passw0rd!' MINEGATE_PASSWORD='ci-install-check Passw0rd!'
export DEBIAN_FRONTEND=noninteractive
# node-gyp compiles better-sqlite3 with one make job unless told: use every core (CI budget 2 min).
export JOBS=max

# Extract the blocks: "<marker>\t<first line number>\t<block, lines joined by \x1f>".
blocks="$(awk '
  /<!-- ci-install-check:/ { marker = $0; sub(/.*<!-- ci-install-check: */, "", marker); sub(/ *-->.*/, "", marker); next }
  /^```sh$/ { inblock = 1; start = NR + 1; body = ""; next }
  /^```$/ && inblock { inblock = 0; printf "%s\t%d\t%s\n", (marker == "" ? "MISSING" : marker), start, body; marker = ""; next }
  inblock { body = body $0 "\x1f" }
' "$install_md")"

n=0
failed=0
while IFS=$'\t' read -r marker line body; do
  n=$((n + 1))
  script="$(printf '%s' "$body" | tr '\037' '\n')"
  script="${script//<release or git checkout>/$release}"
  # No systemd boot in a container: show the service commands, do not run them.
  script="$(printf '%s\n' "$script" | sed -E 's/^(systemctl|journalctl)( .*)$/echo "(not run in a container: \1\2)"/')"
  echo "==== INSTALL.md line $line: $marker"
  case "$marker" in
    MISSING)
      echo "ci-install-check: the block at INSTALL.md line $line has no <!-- ci-install-check: … --> marker" >&2
      failed=1 ;;
    skip*)
      printf '%s\n' "$script" | sed 's/^/  (skipped) /' ;;
    run | informative*)
      rc=0
      t0=$(date +%s)
      ( cd /; bash -eo pipefail -x -c "$script" ) || rc=$?
      echo "---- INSTALL.md line $line: rc $rc in $(( $(date +%s) - t0 )) s"
      if [ $rc -ne 0 ]; then
        if [ "$marker" = run ]; then echo "ci-install-check: INSTALL.md line $line: the block failed (rc $rc)" >&2; failed=1; break; fi
        echo "(informative block ended with rc $rc)"
      fi ;;
    *)
      echo "ci-install-check: INSTALL.md line $line: unknown marker \"$marker\"" >&2
      failed=1 ;;
  esac
done <<< "$blocks"
[ $failed -eq 0 ] || exit 1
[ $n -gt 0 ] || { echo "ci-install-check: no shell blocks found in $install_md" >&2; exit 1; }

echo "==== after INSTALL.md: what the installed box must have"
set -x
# The unit where section 8 put it, verified by systemd itself (Node found through its PATH=).
systemd-analyze verify /etc/systemd/system/minegate.service
# The unit's ExecStartPre, as the service user with the unit's PATH: the config check it gates on.
pre="$(sed -n 's/^ExecStartPre=//p' /etc/systemd/system/minegate.service)"
path="$(sed -n 's/^Environment=PATH=//p' /etc/systemd/system/minegate.service)"
runuser -u minegate -- env -i PATH="$path" HOME=/var/lib/minegate $pre
# The wrapper, as root: switches to the service user without sudo.
command -v sudo >/dev/null && echo "(note: sudo is installed here; the wrapper does not use it)"
minegate --version
[ "$(stat -c %U /var/lib/minegate/operators.json)" = minegate ]
minegate user list -d /var/lib/minegate | grep -q chief
# The install leaves the release as shipped (npm ci must not rewrite package.json / the lock).
cmp "$release/package.json" /opt/minegate/package.json
cmp "$release/package-lock.json" /opt/minegate/package-lock.json
# Capabilities: exactly CAP_SYS_NICE (the safety-kernel child's nice -14 and SCHED_RR 10,
# edge/kernel/kernel-scheduling.ts), in the bounding and the ambient set, with NoNewPrivileges=
# still on, and no RestrictRealtime= (it would refuse SCHED_RR to the whole unit).
unit=/etc/systemd/system/minegate.service
[ "$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")" = CAP_SYS_NICE ]
[ "$(sed -n 's/^AmbientCapabilities=//p' "$unit")" = CAP_SYS_NICE ]
[ "$(sed -n 's/^NoNewPrivileges=//p' "$unit")" = yes ]
if grep -q '^RestrictRealtime=' "$unit"; then echo "the unit refuses real-time scheduling (RestrictRealtime=)"; exit 1; fi
# And that it works as the unit sets it up (service user, that one capability ambient and bounding,
# no_new_privs, Node exec'd after it): Node lowers the nice value of a process it started and runs
# chrt on it, as the gateway does for its kernel child. Only where this container holds
# CAP_SYS_NICE itself.
if [ $(( 0x$(sed -n 's/^CapBnd:\s*//p' /proc/self/status) >> 23 & 1 )) -eq 1 ]; then
  setpriv --reuid=minegate --regid=minegate --init-groups --inh-caps=-all,+sys_nice --ambient-caps=-all,+sys_nice \
    --bounding-set=-all,+sys_nice --no-new-privs -- env -i PATH="$path" node -e '
      const { spawn, execFileSync } = require("node:child_process");
      const child = spawn("sleep", ["10"]);
      try {
        require("node:os").setPriority(child.pid, -14);
        const nice = require("node:os").getPriority(child.pid);
        if (nice !== -14) throw new Error(`nice ${nice}, expected -14`);
        execFileSync("chrt", ["-a", "-r", "-p", "10", String(child.pid)]);
        const policy = execFileSync("chrt", ["-p", String(child.pid)]).toString();
        if (!/SCHED_RR/.test(policy) || !/priority: 10/.test(policy)) throw new Error(`chrt: ${policy}`);
      } finally { child.kill(); }'
else
  echo "(note: this container has no CAP_SYS_NICE to hand on; the priority check did not run)"
fi
