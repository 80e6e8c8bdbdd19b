#!/bin/sh
# make -C /etc/mail with a safety net (roles/tasks/sendmail.ts, the rebuild handler, runs it as
# `sh -c <this> safe-make build|build-reload|reload|restore|keep`).
#
# Debian's Makefile installs sendmail.cf even when m4 fails (m4's messages go to sendmail.cf.errors)
# and ignores makemap's exit code, so make's exit code says little.
#   build [TARGET]
#            keep the current sendmail.cf aside, run make (TARGET: one of the Makefile's, such as
#            access.db when only the access map changed; default: all). A clean build (exit 0, no
#            sendmail.cf.errors, no makemap message) drops the copy and exits 0. Otherwise print
#            "rc=N", make's output, a marker line and sendmail.cf.errors, and exit 3: the handler
#            sorts the messages (roles/text/build-output.ts) into errors and warnings.
#   build-reload
#            build, then, only when the build is clean, reload (below) in the same round trip (the
#            handler's reload is owed too), as `reload /etc/init.d/sendmail built`. Exits 0 when
#            both went well, 3 as build does (no reload: the handler decides), 4 when the reload
#            failed (its output kept).
#   reload [SCRIPT] [built]
#            Debian's `/etc/init.d/sendmail reload`, run as it is (sourced with the $0 and $1 of a
#            direct call) but for one thing: its fixed `sleep 2` after it signals the daemon ends
#            as soon as the daemon has restarted (its pid file is written again, which sendmail
#            does after it has read its configuration and opened its sockets), and never later
#            than Debian's 2 s. Exits as the script. With `built` (build-reload: `make all` has
#            just run, clean, in this very call, the host's lock held), the script runs with
#            MAKEFLAGS=n in its environment, so that its make_databases' `/usr/bin/make all -s -C
#            /etc/mail` is a dry run of the build that has just run: nothing is left to build, yet
#            Debian's Makefile always runs update_auth and remakes relay-domains, about a quarter
#            of a reload's CPU on a host (~55 ms of ~210). -n, not -q: a dry run exits 0, a
#            question exits 1 (those targets are never up to date), which the script's `set -e`
#            would turn into an aborted reload wherever make_databases is not called from an
#            AND-OR list.
#   restore  an error: put the previous sendmail.cf back (sendmail keeps running it; no reload).
#   keep     only warnings: the new sendmail.cf is complete; drop the copy.
# A build that keeps its sendmail.cf (clean, or keep) also writes its summary (summarise, below).
cf=/etc/mail/sendmail.cf
# the option lines of sendmail.cf under its signature (roles/paths.ts SENDMAIL_CF_OPTIONS)
summary=/var/lib/sendmail-tls-relay/sendmail.cf.options
last_good=/etc/mail/.sendmail.cf.last-good
errors=/etc/mail/sendmail.cf.errors
marker='--- sendmail.cf.errors ---'

# After a build that keeps its sendmail.cf: its option lines (`grep -a -n '^O'`: as bytes, never
# "Binary file matches"; ~2.5 KB) under its
# signature (`stat -c '%i %s %.9Y %.9Z'`: inode, size, mtime and ctime to the nanosecond), written
# after sendmail.cf and so newer than it. A run whose sendmail.cf has not changed since reads these
# instead of the whole file (~66 KB a host, which cost a fleet's no-change run more than the lock
# and the digests: lib/types.ts ReadSpec.summary). The stat comes first: a sendmail.cf replaced
# between the two leaves a signature that is not the new file's, so the summary never counts. Written
# by hand: no Debian tool keeps such a summary. Best effort: without it, runs read sendmail.cf whole.
summarise() {
  [ -d "${summary%/*}" ] || mkdir -p "${summary%/*}" 2>/dev/null || return 0
  if { stat -c '%i %s %.9Y %.9Z' -- "$cf" && LC_ALL=C grep -a -n '^O' -- "$cf"; } > "$summary.new" 2>/dev/null; then
    mv -f "$summary.new" "$summary"
  else
    rm -f "$summary.new" "$summary"
  fi
  return 0
}

# make; a clean build returns 0, anything else is reported and exits 3
build() {
  cp -p "$cf" "$last_good" 2>/dev/null
  rm -f "$errors"
  out=$(make -C /etc/mail ${1:+"$1"} 2>&1)
  rc=$?
  # (case, not grep: every program started counts when a fleet builds at once)
  case $out in *makemap:*) ;; *)
    if [ "$rc" -eq 0 ] && [ ! -s "$errors" ]; then
      rm -f "$last_good"
      summarise
      return 0
    fi
  esac
  printf 'rc=%s\n%s\n%s\n' "$rc" "$out" "$marker"
  cat "$errors" 2>/dev/null
  exit 3
}

# The init script's `sleep N` while it reloads: poll every 0.05 s, at most N seconds, until the
# MTA's pid file (the script's own $MTAL_PIDFILE, after /etc/mail/sendmail.conf) is newer than the
# marker made before the script started (test's -nt, a builtin: dash and bash compare the
# nanoseconds; a shell that compared whole seconds would only wait longer, never less). Each sleep
# waits for a write of its own: the marker is renewed when one ends, so a second sleep (the split
# queue runner's, after a start) waits its full N seconds, as in Debian's script. A shell
# function shadows the sleep program in a POSIX shell; `command sleep` is the program. Written by
# hand: no Debian tool waits for a restart.
# shellcheck disable=SC2016 # expanded by the shell that sources the init script, not here
wait_for_restart='sleep() {
  local _str_s _str_n
  _str_s=${1%%[!0-9]*}
  _str_n=$(( ${_str_s:-1} * 20 ))
  while [ "$_str_n" -gt 0 ]; do
    if [ "${MTAL_PIDFILE:-/nonexistent}" -nt "$STR_RELOAD_MARKER" ]; then
      : > "$STR_RELOAD_MARKER"
      return 0
    fi
    command sleep 0.05
    _str_n=$((_str_n - 1))
  done
}
. "$0"'

# reload [SCRIPT] [built]: SCRIPT is /etc/init.d/sendmail (a unit test gives a stand-in)
reload() {
  script=${1:-/etc/init.d/sendmail}
  # an init script that is not a POSIX shell script (the admin replaced it): run it as it is
  first=''
  { IFS= read -r first < "$script"; } 2>/dev/null
  if [ "$first" != '#!/bin/sh' ]; then
    "$script" reload
    return
  fi
  # the build has just run in this call: the script's own make all is a dry run (see the top)
  if [ "${2:-}" = built ]; then
    MAKEFLAGS=n
    export MAKEFLAGS
  fi
  restarted_after=$(mktemp) || return 1
  STR_RELOAD_MARKER=$restarted_after sh -c "$wait_for_restart" "$script" reload
  rc=$?
  rm -f "$restarted_after"
  return "$rc"
}

case ${1:-build} in
  build)
    build "${2:-}"
    ;;
  build-reload)
    build
    reload /etc/init.d/sendmail built || { rc=$?; echo "/etc/init.d/sendmail reload failed (exit $rc)" >&2; exit 4; }
    ;;
  reload)
    reload "${2:-}" "${3:-}"
    ;;
  restore)
    if [ -f "$last_good" ]; then mv -f "$last_good" "$cf" && rm -f "$summary"; fi
    ;;
  keep)
    rm -f "$last_good"
    summarise
    ;;
  *)
    echo "safe-make: unknown action $1" >&2
    exit 2
    ;;
esac
