#!/usr/bin/env bash
# tracer.1 from the binary's own help: `tracer --help` and each command's, so the page cannot
# drift from the options. Usage: scripts/manpage.sh TRACER > tracer.1
set -euo pipefail
tracer=$1
version=$("$tracer" --version)

# roff escapes: a backslash, and a line starting with . or ' would be a request
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

echo ".TH TRACER 1 \"\" \"tracer $version\" \"User Commands\""
echo ".SH NAME"
echo "tracer \\- live kernel tracing of TCP send windows and slab growth, with verdicts"
echo ".SH SYNOPSIS"
echo ".B tracer"
echo ".I COMMAND"
echo "[options]"
echo ".SH DESCRIPTION"
echo ".nf"
"$tracer" --help | roff
echo ".fi"
for command in $("$tracer" --help | awk '/^Commands:/ { on = 1; next } on && NF { print $1 }'); do
  echo ".SH \"TRACER ${command^^}\""
  echo ".nf"
  "$tracer" "$command" --help | roff
  echo ".fi"
done
echo ".SH EXIT STATUS"
echo "0 success; 1 an error (one line on stderr); 2 a bad option or variable; 3 a stuck connection was found."
echo ".SH SEE ALSO"
echo "/usr/share/doc/tracer/README.md, /usr/share/doc/tracer/docs/"
