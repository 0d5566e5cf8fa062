#!/usr/bin/env bash
# Changelog gate: lint the fragments and changelogs/changelog.yaml, then prove the pending release
# assembles: on a copy of the collection, `antsibull-changelog release` for galaxy.yml's version
# turns the fragments (and new plugins) into a release, whose changelog.yaml is linted again and
# whose CHANGELOG.md is left in build/changelog/ for review. The checkout is not modified.
#
#   tools/changelog.sh        (PYTHON: the virtualenv's python, default .venv/bin/python)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(cd "$(dirname "${PYTHON:-$root/.venv/bin/python}")" && pwd)"
work="$root/build/changelog"
copy="$work/ansible_collections/volume_activation/kms"

cd "$root"
"$bin/antsibull-changelog" lint
"$bin/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml

version="$("$bin/python" -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')"

rm -rf "$work"
mkdir -p "$copy"
cp -r galaxy.yml changelogs meta plugins "$copy/"
[ -d roles ] && cp -r roles "$copy/"

# antsibull-changelog collects the plugins from the files git lists; the checkout ignores build/.
cd "$copy"
git init --quiet
git add --all
ANSIBLE_COLLECTIONS_PATH="$work" "$bin/antsibull-changelog" release --version "$version" \
    --ansible-doc-bin "$bin/ansible-doc"
"$bin/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml
cp CHANGELOG.md "$work/CHANGELOG.md"
echo "changelog for $version (preview): $work/CHANGELOG.md"
