#!/usr/bin/env bash
# Executes the notebooks headless against a run folder; fails if any cell raises.
#
#   notebooks/run_notebooks.sh RUN_DIR [SWEEP_DIR]
#
# Needs the packages in notebooks/requirements.txt (e.g. in a venv:
#   python3 -m venv .venv && .venv/bin/pip install -r notebooks/requirements.txt
#   PATH=.venv/bin:$PATH notebooks/run_notebooks.sh output/base).
# Executed copies go to a temporary folder, so the notebooks in the repository stay clean.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 RUN_DIR [SWEEP_DIR]" >&2
    exit 2
fi
run_dir=$(cd "$1" && pwd)
if [[ ! -f "$run_dir/summary.json" ]]; then
    echo "error: $run_dir has no summary.json (not a tenancy run folder)" >&2
    exit 2
fi
sweep_dir=""
if [[ $# -eq 2 ]]; then
    sweep_dir=$(cd "$2" && pwd)
fi
if ! command -v jupyter >/dev/null 2>&1; then
    echo "error: jupyter not found; install notebooks/requirements.txt" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/tenancy-notebooks.XXXXXX")
trap 'rm -rf "$out"' EXIT

export TENANCY_RUN_DIR="$run_dir"
if [[ -n "$sweep_dir" ]]; then
    export TENANCY_SWEEP_DIR="$sweep_dir"
else
    unset TENANCY_SWEEP_DIR
fi

status=0
for nb in explore_run strike_sweep; do
    echo "== $nb.ipynb"
    if jupyter nbconvert --to notebook --execute \
        --ExecutePreprocessor.timeout=300 \
        --output-dir "$out" --output "$nb.executed" \
        "$here/$nb.ipynb"; then
        echo "   ok"
    else
        echo "   FAILED: $nb.ipynb" >&2
        status=1
    fi
done
exit $status
