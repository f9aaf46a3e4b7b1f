#!/usr/bin/env sh
# Install the project, editable, with the extras given as $2 ("demo" or "demo,dev,notebook")
# into the venv $1. With uv when it can be had from PyPI: it resolves and installs the test
# tools in about 10 s where pip takes minutes (README, set-up). Falling back to pip (without
# compiling bytecode, which Python does on first import) when uv cannot be installed or fails,
# or when MICROGRADNET_INSTALLER=pip. uv never downloads a Python here (UV_PYTHON_DOWNLOADS).
set -eu
VENV=${1:-.venv}
EXTRAS=${2:-demo}
PY="$VENV/bin/python"
PIP="$PY -m pip install --quiet --disable-pip-version-check --no-compile"

INSTALLER=${MICROGRADNET_INSTALLER:-uv}
case "$INSTALLER" in
uv | pip) ;;
*)
    echo "MICROGRADNET_INSTALLER must be uv or pip, not '$INSTALLER'" >&2
    exit 2
    ;;
esac
if [ "$INSTALLER" = uv ]; then
    if "$VENV/bin/uv" --version >/dev/null 2>&1 || {
        echo "installing the installer uv from PyPI into $VENV"
        $PIP --no-deps uv >/dev/null 2>&1
    }; then
        echo "installing microgradnet[$EXTRAS] into $VENV with uv"
        if UV_PYTHON_DOWNLOADS=never "$VENV/bin/uv" pip install --quiet --python "$PY" \
            -e ".[$EXTRAS]"; then
            exit 0
        fi
        echo "uv failed (its error is above); installing with pip instead" >&2
    else
        echo "uv could not be installed from the package index; installing with pip" >&2
    fi
fi
echo "installing microgradnet[$EXTRAS] into $VENV with pip"
exec $PIP -e ".[$EXTRAS]"
