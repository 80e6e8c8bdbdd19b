# shellcheck shell=sh
# Read files and run probes in one round trip. lib/remote-files.ts sends this text followed by
# one call of rs (every file) and calls of p (probes); lib/remote-files.ts parseReadOutput reads
# what it prints.
#
#   rs IDS KINDS PATH...
#                      IDS: the files' indexes, KINDS: c (content) or d (sha256 only) for each,
#                      space-separated, in the order of the paths. For each: "@F INDEX 1 MODE OWNER
#                      GROUP MTIME SIZE" and a line "@B" (c: its content is in the batch) or its
#                      sha256 (d), or "@F INDEX 0" and an empty line when PATH is absent; then
#                      "@BLOB " and the base64 of every present c file's content, one after the
#                      other (split by their sizes). Two stats, one cat, one base64, one sha256sum
#                      for all of them: a fleet's first round trips land at once, and every process
#                      counts on a small host. When a file cannot be read or changes while it is
#                      read (the stat after differs), file by file with r instead.
#   r PATH INDEX c|d   one file: "@F INDEX 1 MODE OWNER GROUP MTIME SIZE", then its content in
#                      base64 (c) or its sha256 (d) on one line; "@F INDEX 0" and an empty line when
#                      PATH is absent; "!" instead of the content when it cannot be read.
#   p INDEX SCRIPT NONCE
#                      "@P INDEX", SCRIPT's output as is (stdin from /dev/null), then "@E<NONCE>
#                      <exit code>" on a line of its own (each probe in its own subshell: it may
#                      exit). The nonce is printed once, before any probe runs, so no probe can
#                      print the end mark.

r() {
  if [ -e "$1" ]; then
    stat -c "@F $2 1 %a %U %G %Y %s" -- "$1" 2>/dev/null || printf '@F %s 1 0 ? ? 0 0\n' "$2"
    if [ "$3" = d ]; then
      sha256sum < "$1" 2>/dev/null || echo '!'
    else
      { base64 -w0 < "$1" 2>/dev/null || printf '!'; }
      echo
    fi
  else
    printf '@F %s 0\n\n' "$2"
  fi
}

p() {
  printf '@P %s\n' "$1"
  ( eval "$2" ) 2>&1 </dev/null
  c=$?
  printf '\n@E%s %s\n' "$3" "$c"
}

nl='
'

# rs IDS KINDS PATH...: the files' records; KINDS says for each file c (its content, in the
# @BLOB) or d (its digest). The present files of "$@" stay in "$@" (their indexes in $present,
# their kinds in $pkinds); an absent one is reported at once. One stat before and one after for
# all of them, one cat for the contents, one sha256sum for the digests: the files are picked out
# of "$@" by their positions ("${3}" …), so no path is ever part of the text eval reads.
rs() {
  ids=$1
  kinds=$2
  shift 2
  present=''
  pkinds=''
  for f; do
    shift
    id=${ids%% *}
    ids=${ids#* }
    k=${kinds%% *}
    kinds=${kinds#* }
    if [ -e "$f" ]; then
      set -- "$@" "$f"
      present="$present $id"
      pkinds="$pkinds $k"
    else
      printf '@F %s 0\n\n' "$id"
    fi
  done
  [ $# -gt 0 ] || return 0
  ok=1
  for f; do [ -r "$f" ] && [ -f "$f" ] || ok=0; done
  cl=''
  dl=''
  i=0
  for k in $pkinds; do
    i=$((i + 1))
    if [ "$k" = c ]; then cl="$cl \"\${$i}\""; else dl="$dl \"\${$i}\""; fi
  done
  blob=''
  sums=''
  if [ "$ok" = 1 ]; then
    before=$(stat -c '%a %U %G %Y %s %y' -- "$@" 2>/dev/null) || ok=0
    if [ -n "$cl" ]; then blob=$(eval "cat -- $cl" | base64 -w0) || ok=0; fi
    if [ -n "$dl" ]; then sums=$(eval "sha256sum -- $dl" 2>/dev/null) || ok=0; fi
    after=$(stat -c '%a %U %G %Y %s %y' -- "$@" 2>/dev/null) || ok=0
    [ "$before" = "$after" ] || ok=0
  fi
  if [ "$ok" != 1 ]; then
    for f; do
      present=${present# }
      pkinds=${pkinds# }
      r "$f" "${present%% *}" "${pkinds%% *}"
      present=${present#* }
      pkinds=${pkinds#* }
    done
    return 0
  fi
  heads="$before$nl"
  sums="$sums$nl"
  for id in $present; do
    line=${heads%%"$nl"*}
    heads=${heads#*"$nl"}
    pkinds=${pkinds# }
    k=${pkinds%% *}
    pkinds=${pkinds#* }
    # shellcheck disable=SC2086 # the stat line's fields, split on purpose
    set -- $line
    if [ "$k" = c ]; then
      printf '@F %s 1 %s %s %s %s %s\n@B\n' "$id" "$1" "$2" "$3" "$4" "$5"
    else
      sum=${sums%% *}
      printf '@F %s 1 %s %s %s %s %s\n%s\n' "$id" "$1" "$2" "$3" "$4" "$5" "${sum#\\}"
      sums=${sums#*"$nl"}
    fi
  done
  [ -z "$cl" ] || printf '@BLOB %s\n' "$blob"
}
