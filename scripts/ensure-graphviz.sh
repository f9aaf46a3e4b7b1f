#!/usr/bin/env sh
# Make sure Graphviz's `dot` program is on PATH: install it with the system package manager
# when that is possible without asking (root, or sudo without a password), otherwise say how.
set -eu
command -v dot >/dev/null 2>&1 && exit 0

if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    SUDO="none"
fi

install() {
    echo "Graphviz: $*"
    # shellcheck disable=SC2086
    $SUDO "$@" || true
}

if [ "$SUDO" != none ]; then
    if command -v apt-get >/dev/null 2>&1; then
        install apt-get update -qq &&
            install env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz
    elif command -v dnf >/dev/null 2>&1; then
        install dnf install -y -q graphviz
    elif command -v apk >/dev/null 2>&1; then
        install apk add --quiet graphviz
    elif command -v pacman >/dev/null 2>&1; then
        install pacman -S --noconfirm --needed graphviz
    fi
elif command -v brew >/dev/null 2>&1; then
    brew install graphviz || true
fi
command -v dot >/dev/null 2>&1 && exit 0

cat >&2 <<'MSG'
Graphviz's `dot` program is missing and could not be installed automatically
(that needs root or password-less sudo). Install it, then run make again:
    Debian/Ubuntu: sudo apt-get install graphviz
    Fedora:        sudo dnf install graphviz
    macOS:         brew install graphviz
    Windows:       winget install graphviz
MSG
exit 1
