#!/bin/sh
# Prints one part of an Apptainer definition file, as Apptainer reads it:
#   def-section.sh FILE header KEY   the value of a header keyword (Bootstrap, OSVersion, ...)
#   def-section.sh FILE SECTION      the body of every %SECTION (post, test, files, ...), in order
# containers/verify.sh, containers/Dockerfile and the tests use it, so that the .def is the one
# source of the build steps: nothing copies them.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 FILE header KEY | $0 FILE SECTION" >&2; exit 2; }
file=$1
[ -r "$file" ] || { echo "$0: cannot read $file" >&2; exit 2; }
sections='setup|files|post|test|environment|runscript|startscript|labels|help|arguments|app[a-z]*'
if [ "$2" = header ]; then
  [ $# -eq 3 ] || { echo "usage: $0 FILE header KEY" >&2; exit 2; }
  # Header: "Key: value" lines before the first section; keys are case-insensitive.
  awk -v key="$3" -v re="^%($sections)([[:space:]]|\$)" '
    $0 ~ re { exit }
    /^[[:space:]]*#/ { next }
    {
      i = index($0, ":"); if (i == 0) next
      k = substr($0, 1, i - 1); gsub(/[[:space:]]/, "", k)
      if (tolower(k) == tolower(key)) { v = substr($0, i + 1); gsub(/^[[:space:]]+|[[:space:]]+$/, "", v); print v; found = 1; exit }
    }
    END { if (!found) exit 1 }' "$file" || { echo "$0: no header keyword $3 in $file" >&2; exit 1; }
  exit 0
fi
# Sections start with %name at the start of a line; a name used twice is appended, as Apptainer does.
awk -v want="$2" -v re="^%($sections)([[:space:]]|\$)" '
  $0 ~ re { name = $1; sub(/^%/, "", name); inside = (name == want); if (inside) found = 1; next }
  inside { print }
  END { if (!found) exit 1 }' "$file" || { echo "$0: no %$2 section in $file" >&2; exit 1; }
