#!/bin/sh
# make -C /etc/mail with a safety net (roles/tasks/sendmail.ts, the rebuild handler, runs it as
# `sh -c <this> safe-make build|build-reload|restore|keep`).
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
#            build, then, only when the build is clean, Debian's `/etc/init.d/sendmail reload` in the
#            same round trip (the handler's reload is owed too). Exits 0 when both went well, 3 as
#            build does (no reload: the handler decides), 4 when the reload failed (its output kept).
#   restore  an error: put the previous sendmail.cf back (sendmail keeps running it; no reload).
#   keep     only warnings: the new sendmail.cf is complete; drop the copy.
cf=/etc/mail/sendmail.cf
last_good=/etc/mail/.sendmail.cf.last-good
errors=/etc/mail/sendmail.cf.errors
marker='--- sendmail.cf.errors ---'

# make; a clean build returns 0, anything else is reported and exits 3
build() {
  cp -p "$cf" "$last_good" 2>/dev/null
  rm -f "$errors"
  out=$(make -C /etc/mail ${1:+"$1"} 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ] && [ ! -s "$errors" ] && ! printf '%s\n' "$out" | grep -q 'makemap:'; then
    rm -f "$last_good"
    return 0
  fi
  printf 'rc=%s\n%s\n%s\n' "$rc" "$out" "$marker"
  cat "$errors" 2>/dev/null
  exit 3
}

case ${1:-build} in
  build)
    build "${2:-}"
    ;;
  build-reload)
    build
    /etc/init.d/sendmail reload || { rc=$?; echo "/etc/init.d/sendmail reload failed (exit $rc)" >&2; exit 4; }
    ;;
  restore)
    if [ -f "$last_good" ]; then mv -f "$last_good" "$cf"; fi
    ;;
  keep)
    rm -f "$last_good"
    ;;
  *)
    echo "safe-make: unknown action $1" >&2
    exit 2
    ;;
esac
