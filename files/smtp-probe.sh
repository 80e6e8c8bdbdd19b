#!/bin/bash
# verify's SMTP session from a laptop to its server (roles/verify.ts runs it on the laptop as
# `bash -c <this> verify ARGS`; roles/text/smtp-probe.ts reads its output).
#
# bash script, arguments: $1 server name, $2 port, $3 cert and $4 key ('' = none), $5 CA file ('' = none),
# $6 CA dir ('' = none), $7 EHLO name, $8 MAIL FROM, $9 RCPT TO.
# s_client itself waits for the banner (through the server's greeting pause), sends EHLO and
# STARTTLS and does the handshake; the script then sends each command and reads its whole reply
# before the next (no pipelining). stdout: `R:` the resolved address, `C:` what was sent, `S:` what
# the server answered, `X:` how it ended. stderr: s_client's -brief summary and -state lines.
# Changes nothing on the laptop (no file written).
set -u
srv=$1 port=$2 cert=$3 key=$4 cafile=$5 capath=$6 name=$7 from=$8 rcpt=$9
command -v openssl >/dev/null 2>&1 || { echo 'X: no-openssl'; exit 0; }
addr=$(getent hosts "$srv" | awk 'NR==1{print $1}')
[ -n "$addr" ] || { echo 'X: unresolvable'; exit 0; }
echo "R: $addr"
ca=()
[ -n "$cert" ] && ca+=(-cert "$cert" -key "$key")
[ -n "$cafile" ] && ca+=(-CAfile "$cafile")
[ -n "$capath" ] && ca+=(-CApath "$capath")
coproc S { exec timeout 120 openssl s_client -brief -state -nocommands -starttls smtp -name "$name" -connect "$srv:$port" -verify_hostname "$srv" "${ca[@]}"; }
pid=$S_PID
# own copies of the coprocess's pipes: bash closes S's when s_client exits, maybe before its last reply is read
exec {in}<&"${S[0]}" {out}>&"${S[1]}"
reply() {
  local line
  while IFS= read -r -t 60 line <&"$in"; do
    line=${line%$'\r'}
    printf 'S: %s\n' "$line"
    case $line in [0-9][0-9][0-9]-*) ;; *) return 0 ;; esac
  done
  echo 'X: no-reply'
  return 1
}
send() { printf 'C: %s\n' "$1"; printf '%s\r\n' "$1" 1>&"$out" 2>/dev/null; }
if ! { send "EHLO $name" && reply && send "MAIL FROM:<$from>" && reply && send "RCPT TO:<$rcpt>" && reply && send RSET && reply && send QUIT && reply; }; then
  kill "$pid" 2>/dev/null
fi
exec {out}>&- {in}<&-
wait "$pid"
echo "X: s_client-exit $?"
