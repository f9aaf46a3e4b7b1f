#!/usr/bin/env sh
# Create the virtual environment .venv with Python >= 3.10, installing Debian's venv module
# when the system Python lacks it and the machine allows it.
set -eu
PYTHON=${PYTHON:-python3}
VENV=${1:-.venv}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "microgradnet needs Python >= 3.10; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
    echo "Run make with PYTHON=/path/to/python3.10-or-newer." >&2
    exit 1
fi
[ -x "$VENV/bin/python" ] && exit 0

if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    pkg="python$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
    . "$(dirname "$0")/system-packages.sh"
    if command -v apt-get >/dev/null 2>&1 && find_privilege; then
        apt_install "Python's venv module" "$pkg" || {
            echo "Could not install $pkg (the reason is above). Install it and run make again." >&2
            exit 1
        }
        "$PYTHON" -m venv "$VENV"
    else
        echo "'$PYTHON -m venv' failed; install Python's venv module (Debian/Ubuntu: sudo apt-get install $pkg) and run make again." >&2
        exit 1
    fi
fi
