# shellcheck shell=sh
# Write files atomically. lib/remote-files.ts sends "suffix=… tag=… keep=…", this text, then one
# call per file; the files' contents come on stdin, one after the other as they are (SIZE bytes
# each, in the order of the calls), never on a command line.
#
#   w PATH MODE OWNER[:GROUP] SIZE
#     a temp file in the same folder, owner and mode copied from the file it replaces (or MODE and
#     OWNER when given; 0644 for a new file without MODE), its content (SIZE bytes of stdin)
#     written and fsynced, the old file kept as the backup PATH.$suffix (the $keep newest
#     PATH.$tag-* kept), then renamed over PATH.
#
# A fleet's writes land at once and every process counts on a small host: four programs per file
# (cp twice, dd, mv), and no byte-by-byte `read` of the content. dd copies exactly SIZE bytes
# (iflag=fullblock: never more, so the next file's bytes stay on stdin) and fsyncs them
# (conv=fsync).
# shellcheck disable=SC2154 # suffix, tag and keep are set by the caller
set -e
umask 077
tmp=
trap '[ -n "$tmp" ] && rm -f -- "$tmp"' EXIT

w() {
  f=$1
  d=${f%/*}
  b=${f##*/}
  [ "$d" != "$f" ] || d=.
  t="${d:-/}/.$b.$suffix.tmp"
  set -C # the temp file is made here, never an existing one (nor what a link there points at)
  : >"$t"
  set +C
  tmp=$t
  # the content lands in a file already as closed as the one it replaces (or 0600, umask 077)
  if [ -e "$f" ]; then cp --attributes-only -p -- "$f" "$tmp"; fi
  if [ "$4" -gt 0 ]; then
    dd of="$tmp" bs="$4" count=1 iflag=fullblock conv=fsync,nocreat,notrunc status=none
  fi
  if [ -n "$2" ]; then
    chmod "$2" -- "$tmp"
  elif [ ! -e "$f" ]; then
    chmod 0644 -- "$tmp"
  fi
  if [ -n "$3" ]; then chown -- "$3" "$tmp"; fi
  if [ -e "$f" ]; then
    cp -p -- "$f" "$f.$suffix"
    # the oldest backups go, the $keep newest stay (the stamps sort as the times they name)
    n=0
    for old in "$f.$tag"-*; do [ -e "$old" ] && n=$((n + 1)); done
    for old in "$f.$tag"-*; do
      [ "$n" -gt "$keep" ] || break
      [ -e "$old" ] && rm -f -- "$old" && n=$((n - 1))
    done
  fi
  mv -f -- "$tmp" "$f"
  tmp=
}
