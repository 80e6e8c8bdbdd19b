#!/bin/sh
# make -C /etc/mail with a safety net (roles/tasks/sendmail.ts, the rebuild handler, runs it as
# `sh -c <this> safe-make build|restore|keep`).
#
# Debian's Makefile installs sendmail.cf even when m4 fails (m4's messages go to sendmail.cf.errors)
# and ignores makemap's exit code, so make's exit code says little.
#   build [TARGET]
#            keep the current sendmail.cf aside, run make (TARGET: one of the Makefile's, such as
#            access.db when only the access map changed; default: all). A clean build (exit 0, no
#            sendmail.cf.errors, no makemap message) drops the copy and exits 0. Otherwise print
#            "rc=N", make's output, a marker line and sendmail.cf.errors, and exit 3: the handler
#            sorts the messages (roles/text/build-output.ts) into errors and warnings.
#   restore  an error: put the previous sendmail.cf back (sendmail keeps running it; no reload).
#   keep     only warnings: the new sendmail.cf is complete; drop the copy.
cf=/etc/mail/sendmail.cf
last_good=/etc/mail/.sendmail.cf.last-good
errors=/etc/mail/sendmail.cf.errors
marker='--- sendmail.cf.errors ---'

case ${1:-build} in
  build)
    cp -p "$cf" "$last_good" 2>/dev/null
    rm -f "$errors"
    out=$(make -C /etc/mail ${2:+"$2"} 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && [ ! -s "$errors" ] && ! printf '%s\n' "$out" | grep -q 'makemap:'; then
      rm -f "$last_good"
      exit 0
    fi
    printf 'rc=%s\n%s\n%s\n' "$rc" "$out" "$marker"
    cat "$errors" 2>/dev/null
    exit 3
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
