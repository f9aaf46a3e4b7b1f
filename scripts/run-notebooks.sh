#!/usr/bin/env sh
# Run the notebooks as tests (nbmake), with the venv's bin folder as $1 (default .venv/bin).
# notebooks/08_*.ipynb (from microgradnet to PyTorch) needs the optional torch: it runs only
# where torch imports in the venv, and is skipped with the reason otherwise.
set -eu
BIN=${1:-.venv/bin}
run=""
for nb in notebooks/*.ipynb; do
    [ -e "$nb" ] || continue
    case "$nb" in
    notebooks/08_*)
        if ! "$BIN/python" -c 'import torch' >/dev/null 2>&1; then
            echo "notebooks: skipping $nb: torch does not import in the venv" \
                "(the optional torch extra; make test installs it only as a CPU-only build)"
            continue
        fi
        ;;
    esac
    run="$run $nb"
done
if [ -z "$run" ]; then
    echo "notebooks: none to run"
    exit 0
fi
# shellcheck disable=SC2086
exec "$BIN/pytest" -q --nbmake $run
