# shellcheck shell=sh
# Read files and run probes in one round trip. lib/remote-files.ts sends this text followed by one
# call per file and probe; lib/remote-files.ts parseReadOutput reads what it prints.
#
#   r PATH INDEX c|d   "@F INDEX 1 MODE OWNER GROUP MTIME SIZE", then the content in base64 (c) or
#                      its sha256 (d) on one line; "@F INDEX 0" and an empty line when PATH is absent;
#                      "!" instead of the content when it cannot be read.
#   p INDEX SCRIPT NONCE
#                      "@P INDEX", SCRIPT's output as is (run in a subshell, stdin from /dev/null),
#                      then "@E<NONCE> <exit code>" on a line of its own. The nonce is printed once,
#                      before any probe runs, so no probe can print the end mark.
#
# Few processes per file (hosts may be small, and a fleet's reads land at once): stat prints the
# record header itself, then one base64 or sha256sum.

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
