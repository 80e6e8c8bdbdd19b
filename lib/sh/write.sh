# shellcheck shell=sh
# Write files atomically. lib/remote-files.ts sends "suffix=… tag=… keep=…", this text, then one
# call per file; each file's content comes on stdin, one base64 line per file, never on a command line.
#
#   w PATH MODE OWNER[:GROUP]
#     a temp file in the same folder, owner and mode copied from the file it replaces (or MODE and
#     OWNER when given; 0644 for a new file without MODE), fsync, a backup of the old file as
#     PATH.$suffix (the $keep newest PATH.$tag-* kept), then rename over PATH.
# shellcheck disable=SC2154 # suffix, tag and keep are set by the caller
set -e
umask 077
tmp=
trap '[ -n "$tmp" ] && rm -f -- "$tmp"' EXIT

w() {
  f=$1
  d=$(dirname -- "$f")
  b=$(basename -- "$f")
  IFS= read -r data || [ -n "$data" ]
  tmp=$(mktemp "$d/.$b.XXXXXX")
  printf '%s' "$data" | base64 -d > "$tmp"
  if [ -e "$f" ]; then
    chown --reference="$f" -- "$tmp"
    chmod --reference="$f" -- "$tmp"
    cp -p -- "$f" "$f.$suffix"
    # the oldest backups go, the $keep newest stay (the stamps sort as the times they name)
    n=0
    for old in "$f.$tag"-*; do [ -e "$old" ] && n=$((n + 1)); done
    for old in "$f.$tag"-*; do
      [ "$n" -gt "$keep" ] || break
      [ -e "$old" ] && rm -f -- "$old" && n=$((n - 1))
    done
  elif [ -z "$2" ]; then
    chmod 0644 -- "$tmp"
  fi
  if [ -n "$2" ]; then chmod "$2" -- "$tmp"; fi
  if [ -n "$3" ]; then chown -- "$3" "$tmp"; fi
  sync -- "$tmp" 2>/dev/null || true
  mv -f -- "$tmp" "$f"
  tmp=
}
