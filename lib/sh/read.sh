# shellcheck shell=sh
# Read files and run probes in one round trip. lib/remote-files.ts sends this text followed by
# "nonce=…", one call of rs (every file) and calls of p (probes); lib/remote-files.ts
# parseReadOutput reads what it prints. $nonce (random, new for every round trip) frames what is
# raw output: file contents and probes' output, so nothing they hold can end their frame.
#
#   rs IDS KINDS PATH...
#                      IDS: the files' indexes, KINDS: c (content) or d (sha256 only) for each,
#                      space-separated, in the order of the paths; s (content, or its summary) is
#                      followed by its summary's PATH, of kind u and index INDEXu. "@F INDEX 0" and an
#                      empty line for each absent PATH (none for a summary); then, for the present
#                      ones, "@S INDEX..." (their indexes), one stat line "MODE OWNER GROUP MTIME SIZE
#                      INODE MTIME.NS CTIME.NS" for each, one sha256sum line for each d file, "@U
#                      INDEX..." (the s files whose summary is newer than they are: the summary's
#                      bytes come in their place, the parser checks its signature), then "@R
#                      $nonce", every c file's bytes as they are, one after the other (split by
#                      their sizes), a newline and "@R $nonce" again; last "@Z ok", or "@Z fail"
#                      when a program failed (then what came since "@S" is void and every file comes
#                      file by file from r, whole). One stat, one cat, one sha256sum for all the
#                      files: a fleet's first round trips land at once, and every program started
#                      counts on a small host. A file that changes between the stat and the cat
#                      sends other than its size: the parser sees it (the end mark is elsewhere).
#   r PATH INDEX c|d   one file: "@F INDEX 1 MODE OWNER GROUP MTIME SIZE", then its content in
#                      base64 (c) or its sha256 (d) on one line; "@F INDEX 0" and an empty line when
#                      PATH is absent; "!" instead of the content when it cannot be read (a file that
#                      is not a plain readable one, e.g. a folder).
#   p INDEX SCRIPT     "@P INDEX", SCRIPT's output as is (stdin from /dev/null), then "@E$nonce
#                      <exit code>" on a line of its own (each probe in its own subshell: it may
#                      exit, change folder or set variables).
#   q INDEX SCRIPT     as p, but SCRIPT runs in this shell, without p's fork: a probe of builtins
#                      only, which never exits, changes folder or sets a variable (lib/types.ts: Probe).

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
  # shellcheck disable=SC2154 # nonce is set by the caller
  printf '\n@E%s %s\n' "$nonce" "$c"
}

q() {
  printf '@P %s\n' "$1"
  { eval "$2"; } 2>&1 </dev/null
  c=$?
  printf '\n@E%s %s\n' "$nonce" "$c"
}

# rs IDS KINDS PATH...: the files' records; KINDS says for each file c (its content, between the
# "@R" marks), d (its digest), s (its content, or the summary that follows it, of kind u). The present
# files of "$@" stay in "$@" (their indexes in $present, their kinds in $pkinds); an absent one is
# reported at once. The files are picked out of "$@" by their positions ("${3}" …) for stat, cat and
# sha256sum, so no path is ever part of the text eval reads.
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
    elif [ "$k" != u ]; then
      printf '@F %s 0\n\n' "$id"
    fi
  done
  [ $# -gt 0 ] || return 0
  ok=1
  for f; do [ -r "$f" ] && [ -f "$f" ] || ok=0; done
  if [ "$ok" = 1 ]; then
    cl=''
    dl=''
    used=''
    ks=${pkinds# }
    i=0
    for id in $present; do
      i=$((i + 1))
      k=${ks%% *}
      ks=${ks#* }
      case $k in
        c) cl="$cl \"\${$i}\"" ;;
        d) dl="$dl \"\${$i}\"" ;;
        s)
          # its summary, when present, is the next file (INDEXu): it goes instead when newer
          case "$present " in
            *" $id ${id}u "*)
              if eval "[ \"\${$((i + 1))}\" -nt \"\${$i}\" ]"; then
                cl="$cl \"\${$((i + 1))}\""
                used="$used $id"
                continue
              fi
              ;;
          esac
          cl="$cl \"\${$i}\""
          ;;
      esac
    done
    printf '@S%s\n' "$present"
    stat -c '%a %U %G %Y %s %i %.9Y %.9Z' -- "$@" 2>/dev/null || ok=0
    if [ "$ok" = 1 ] && [ -n "$dl" ]; then eval "sha256sum -- $dl" 2>/dev/null || ok=0; fi
    [ -z "$used" ] || printf '@U%s\n' "$used"
    if [ "$ok" = 1 ] && [ -n "$cl" ]; then
      printf '@R %s\n' "$nonce"
      eval "cat -- $cl" 2>/dev/null || ok=0
      printf '\n@R %s\n' "$nonce"
    fi
    if [ "$ok" = 1 ]; then
      echo '@Z ok'
      return 0
    fi
    echo '@Z fail'
  fi
  for f; do
    present=${present# }
    pkinds=${pkinds# }
    k=${pkinds%% *}
    # a summary is only ever sent in the batch: here each file comes whole
    [ "$k" = u ] || r "$f" "${present%% *}" "$k"
    present=${present#* }
    pkinds=${pkinds#* }
  done
}
