#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of the collection laid out where ansible-test requires it
# (.../ansible_collections/volume_activation/kms/), offline apart from the package index.
#
#   tools/sanity.sh [extra ansible-test sanity options, e.g. --test pep8]
#
# Environment: PYTHON (the virtualenv's python, default .venv/bin/python), SANITY_PYTHON (the
# Python version the tests run under, default 3.11).
#
# Without pwsh (no PowerShell on this platform):
#   - pslint is skipped: PSScriptAnalyzer only runs in pwsh.
#   - validate-modules cannot read the argument spec of the PowerShell worker (it runs the .ps1
#     in pwsh), so it runs in a second pass on every plugin except *.ps1; the modules'
#     documentation sidecars (plugins/modules/*.yml) are validated there.
# With pwsh on PATH, every test runs on every file in one pass.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
python="$(cd "$(dirname "${PYTHON:-$root/.venv/bin/python}")" && pwd)/$(basename "${PYTHON:-python}")"
sanity_python="${SANITY_PYTHON:-3.11}"
dest="$root/build/sanity/ansible_collections/volume_activation/kms"
ansible_test="$(dirname "$python")/ansible-test"

# ansible-test bootstraps pip in each sanity virtualenv with a script it downloads from a host
# this platform cannot reach; provide it from the local interpreter's ensurepip.
"$python" "$root/tools/get_pip_offline.py" >/dev/null

# Copy what git would ship: tracked and untracked-but-not-ignored files that exist.
rm -rf "$dest"
mkdir -p "$dest"
(
    cd "$root"
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' path; do
            [ -e "$path" ] || [ -L "$path" ] && printf '%s\0' "$path"
        done |
        tar --null --no-recursion -T - -cf - | tar -xf - -C "$dest"
)

# ansible-test lists content with git when the tree is inside a repository; the checkout's own
# repository ignores build/, so give the copy a repository of its own.
cd "$dest"
git init --quiet
git add --all
git -c user.name=sanity -c user.email=sanity@localhost commit --quiet --no-verify -m "sanity snapshot"

common=(sanity --python "$sanity_python" --color no)

if command -v pwsh >/dev/null 2>&1; then
    "$ansible_test" "${common[@]}" "$@"
    exit
fi

echo "tools/sanity.sh: pwsh not found: skipping pslint; validate-modules runs on the Python files only" >&2
status=0
"$ansible_test" "${common[@]}" --skip-test pslint --skip-test validate-modules "$@" || status=$?

mapfile -d '' plugin_files < <(find plugins -type f ! -name '*.ps1' ! -name '*.pyc' -print0 | sort -z)
if [ "${#plugin_files[@]}" -gt 0 ]; then
    "$ansible_test" "${common[@]}" --test validate-modules "$@" "${plugin_files[@]}" || status=$?
fi
exit "$status"
