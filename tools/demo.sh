#!/usr/bin/env bash
# make demo: serve the simulated mixed fleet, then audit (--check), convert, and audit again with
# the repository's convert-to-kms.yml. Reports land in demo/<run>/; the fleet's final state in demo/state.json.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export PYTHONPATH="$PWD/tools:$PWD/.collections" ANSIBLE_COLLECTIONS_PATH="$PWD/.collections"
SCENARIO=${SCENARIO:-tools/winsim/scenarios/mixed_fleet.yml}
OUT=demo
rm -rf "$OUT" && mkdir -p "$OUT"

$PY -m winsim --scenario "$SCENARIO" --inventory "$OUT/inventory.yml" --state "$OUT/state.json" \
    >"$OUT/fleet.log" 2>&1 &
fleet=$!
trap 'kill -TERM $fleet 2>/dev/null; wait $fleet 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -s "$OUT/inventory.yml" ] && break; sleep 0.1; done
[ -s "$OUT/inventory.yml" ] || { echo "the simulated fleet did not start:"; cat "$OUT/fleet.log"; exit 1; }
echo "== simulated fleet: $(grep -c 'ansible_port' "$OUT/inventory.yml") hosts ($SCENARIO)"

run() {  # run <name> [ansible-playbook args...]
    local name=$1; shift
    echo; echo "== $name: ansible-playbook -i $OUT/inventory.yml convert-to-kms.yml $*"
    local started=$SECONDS
    .venv/bin/ansible-playbook -i "$OUT/inventory.yml" convert-to-kms.yml \
        -e kms_client_report_dest="$OUT/$name" "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    if [ ! -s "$OUT/$name/kms_audit.json" ]; then
        echo "no report was written (exit code $rc); the log is $OUT/$name.log:"; tail -40 "$OUT/$name.log"; exit 1
    fi
    $PY tools/print_report.py "$OUT/$name/kms_audit.json"
    echo "   ansible-playbook exit code $rc (2: hosts need attention, 4: hosts unreachable), $((SECONDS - started)) s; log: $OUT/$name.log"
}

run audit-before --check
run convert
run audit-after --check

kill -TERM $fleet; wait $fleet 2>/dev/null; trap - EXIT
echo; echo "== fleet state after the runs: $OUT/state.json"
$PY tools/print_report.py --state "$OUT/state.json"
echo; echo "Reports: $OUT/audit-before/, $OUT/convert/, $OUT/audit-after/ (kms_audit.html opens in a browser)"
