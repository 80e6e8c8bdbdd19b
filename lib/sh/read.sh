# shellcheck shell=sh
# Read files and run probes in one round trip. lib/remote-files.ts sends this text followed by
# calls of rb (files whose content is wanted), rd (files whose sha256 only is wanted) and p
# (probes); lib/remote-files.ts parseReadOutput reads what it prints.
#
#   rb IDS PATH...     IDS: the files' indexes, space-separated, in the order of the paths. For
#                      each: "@F INDEX 1 MODE OWNER GROUP MTIME SIZE" and a line "@B" (its content
#                      is in the batch), or "@F INDEX 0" and an empty line when PATH is absent; then
#                      "@BLOB " and the base64 of every present file's content, one after the other
#                      (split by their sizes). One stat, one cat, one base64 for all of them: a
#                      fleet's first round trips land at once, and every process counts on a small
#                      host. When a file cannot be read or changes while it is read (the stat after
#                      the cat differs), file by file with r instead.
#   rd IDS PATH...     the same for digests: "@F ..." and the sha256 line per file, one sha256sum.
#   r PATH INDEX c|d   one file: "@F INDEX 1 MODE OWNER GROUP MTIME SIZE", then its content in
#                      base64 (c) or its sha256 (d) on one line; "@F INDEX 0" and an empty line when
#                      PATH is absent; "!" instead of the content when it cannot be read.
#   p INDEX SCRIPT NONCE
#                      "@P INDEX", SCRIPT's output as is (run in a subshell, stdin from /dev/null),
#                      then "@E<NONCE> <exit code>" on a line of its own. The nonce is printed once,
#                      before any probe runs, so no probe can print the end mark.

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

# rs c|d IDS PATH...: the files' contents (c: rb's records) or digests (d: rd's). The present files
# of "$@" stay in "$@" (their indexes in $present); an absent one is reported at once.
rs() {
  kind=$1
  ids=$2
  shift 2
  present=''
  for f; do
    shift
    id=${ids%% *}
    ids=${ids#* }
    if [ -e "$f" ]; then
      set -- "$@" "$f"
      present="$present $id"
    else
      printf '@F %s 0\n\n' "$id"
    fi
  done
  [ $# -gt 0 ] || return 0
  ok=1
  for f; do [ -r "$f" ] && [ -f "$f" ] || ok=0; done
  if [ "$ok" = 1 ] && [ "$kind" = c ]; then
    before=$(stat -c '%a %U %G %Y %s %y' -- "$@" 2>/dev/null) || ok=0
    blob=$(cat -- "$@" | base64 -w0) || ok=0
    after=$(stat -c '%a %U %G %Y %s %y' -- "$@" 2>/dev/null) || ok=0
    [ "$before" = "$after" ] || ok=0
  elif [ "$ok" = 1 ]; then
    before=$(stat -c '%a %U %G %Y %s' -- "$@" 2>/dev/null) || ok=0
    sums=$(sha256sum -- "$@" 2>/dev/null) || ok=0
  fi
  if [ "$ok" != 1 ]; then
    for f; do
      present=${present# }
      r "$f" "${present%% *}" "$kind"
      present=${present#* }
    done
    return 0
  fi
  heads="$before$nl"
  sums="${sums:-}$nl"
  for id in $present; do
    line=${heads%%"$nl"*}
    heads=${heads#*"$nl"}
    # shellcheck disable=SC2086 # the stat line's fields, split on purpose
    set -- $line
    if [ "$kind" = c ]; then
      printf '@F %s 1 %s %s %s %s %s\n@B\n' "$id" "$1" "$2" "$3" "$4" "$5"
    else
      printf '@F %s 1 %s %s %s %s %s\n%s\n' "$id" "$1" "$2" "$3" "$4" "$5" "${sums%% *}"
      sums=${sums#*"$nl"}
    fi
  done
  [ "$kind" != c ] || printf '@BLOB %s\n' "$blob"
}

rb() { rs c "$@"; }
rd() { rs d "$@"; }
