# shellcheck shell=sh
# The first round trip of a run on a host: take the host's lock, then read (read.sh and its calls
# follow this text). lib/connection.ts sends "lockdir=… lock=… wait=…" before it. The lock is
# held by fd 9 of this channel until the run closes it, so a killed run releases it.
# shellcheck disable=SC2154 # lockdir, lock, wait are set by the caller
{ [ -d "$lockdir" ] || mkdir -p "$lockdir"; } && exec 9>>"$lock" || exit 71
if ! flock -w "$wait" 9; then echo '@LOCKED'; exit 75; fi
