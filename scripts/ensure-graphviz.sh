#!/usr/bin/env sh
# Make sure Graphviz's `dot` program is on PATH: install it with the system package manager
# when that is possible without asking (root, or sudo without a password), waiting a bounded
# time for another package manager that holds its lock; otherwise say how. Exit 0 when dot is
# there, 1 (with the reason on stderr) when it is not.
set -eu
command -v dot >/dev/null 2>&1 && exit 0
. "$(dirname "$0")/system-packages.sh"

HOWTO='Install it, then run make again:
    Debian/Ubuntu: sudo apt-get install graphviz
    Fedora:        sudo dnf install graphviz
    macOS:         brew install graphviz
    Windows:       winget install graphviz'

if find_privilege; then
    if command -v apt-get >/dev/null 2>&1; then
        apt_install Graphviz graphviz || true
    elif command -v dnf >/dev/null 2>&1; then
        pm_run Graphviz dnf install -y -q graphviz || true
    elif command -v apk >/dev/null 2>&1; then
        pm_run Graphviz apk add --quiet graphviz || true
    elif command -v pacman >/dev/null 2>&1; then
        pm_run Graphviz pacman -S --noconfirm --needed graphviz || true
    fi
    command -v dot >/dev/null 2>&1 && exit 0
    echo "Graphviz's \`dot\` program is missing and installing it failed (the reason is above)." >&2
elif command -v brew >/dev/null 2>&1; then
    SUDO=""
    pm_run Graphviz brew install graphviz || true
    command -v dot >/dev/null 2>&1 && exit 0
    echo "Graphviz's \`dot\` program is missing and 'brew install graphviz' failed." >&2
else
    echo "Graphviz's \`dot\` program is missing; installing it needs root or password-less sudo" \
        "(you are $(id -un))." >&2
fi
echo "$HOWTO" >&2
exit 1
