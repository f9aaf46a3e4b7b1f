#!/usr/bin/env sh
# Make sure Debian's headless browser for the browser tests is there: the `chromium` and
# `chromium-driver` packages (/usr/bin/chromium, /usr/bin/chromedriver), installed with apt-get
# as root or with password-less sudo, waiting a bounded time for another package manager that
# holds its lock. Anywhere else print the install command and exit 0: the tests marked
# `browser` then skip with that reason. Nothing here downloads a browser outside the package
# manager.
set -eu
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
. "$(dirname "$0")/system-packages.sh"

if command -v apt-get >/dev/null 2>&1 && find_privilege; then
    if apt_install Chromium chromium chromium-driver; then
        exit 0
    fi
    echo "Chromium: installing failed (the reason is above); the browser tests will be skipped." >&2
    exit 0
fi
cat >&2 <<'MSG'
Chromium: the browser tests need Debian's chromium and chromium-driver packages, which this
machine lacks and make cannot install here (that needs apt-get as root or password-less sudo).
They will be skipped. To run them: sudo apt-get install chromium chromium-driver
MSG
exit 0
