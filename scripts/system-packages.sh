# shellcheck shell=sh
# Shared by scripts/ensure-*.sh (sourced, not run): install system packages with the machine's
# package manager when that is possible without asking for a password (root, or password-less
# sudo), waiting a bounded time for another package manager that holds its lock, and reporting
# the package manager's own error when it fails.
#
#   find_privilege            sets SUDO ("" as root, "sudo -n" with password-less sudo); 1 if neither
#   apt_install WHAT PKG...   apt-get install PKG..., running apt-get update first when needed
#   pm_run WHAT CMD...        run one package-manager command (dnf, apk, pacman, brew) and report
#
# MICROGRADNET_LOCK_TIMEOUT (seconds, default 300) bounds the wait for apt's and dpkg's locks;
# MICROGRADNET_LOCK_POLL (seconds, default 5) is how often apt-get update tries again.

LOCK_TIMEOUT=${MICROGRADNET_LOCK_TIMEOUT:-300}
if ! [ "$LOCK_TIMEOUT" -ge 0 ] 2>/dev/null; then
    echo "MICROGRADNET_LOCK_TIMEOUT must be a whole number of seconds, not '$LOCK_TIMEOUT'" >&2
    exit 2
fi
LOCK_POLL=${MICROGRADNET_LOCK_POLL:-5}
[ "$LOCK_POLL" -ge 1 ] 2>/dev/null || LOCK_POLL=1
# apt's and dpkg's words for a lock held by another process
LOCKED='Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock'

find_privilege() {
    if [ "$(id -u)" = 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        return 1
    fi
}

# Print the last error lines of a package manager's log, indented, to stderr.
_pm_errors() {
    if grep -q '^E: ' "$1"; then
        grep '^E: ' "$1" | tail -n 6
    else
        tail -n 6 "$1"
    fi | sed 's/^/    /' >&2
}

# _apt WHAT ARGS...: run `apt-get ARGS`, waiting at most LOCK_TIMEOUT seconds in all for its
# locks. dpkg's lock is waited for by apt itself (DPkg::Lock::Timeout, given the time left);
# apt-get update does not wait for the lists lock, so retry while its error is "Could not get
# lock" and time is left. Sets LOCK_HELD=yes when it gave up on a lock.
_apt() {
    what=$1
    shift
    log=$(mktemp)
    start=$(date +%s)
    waited=0
    LOCK_HELD=no
    while :; do
        status=0
        left=$((LOCK_TIMEOUT - waited))
        [ "$left" -gt 0 ] || left=0
        # shellcheck disable=SC2086
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -qq \
            -o DPkg::Lock::Timeout="$left" "$@" >"$log" 2>&1 || status=$?
        if [ "$status" = 0 ]; then
            rm -f "$log"
            return 0
        fi
        waited=$(($(date +%s) - start))
        if grep -Eq "$LOCKED" "$log" && [ "$waited" -lt "$LOCK_TIMEOUT" ]; then
            [ -n "${said_waiting:-}" ] || echo "$what: $(grep -Em1 "$LOCKED" "$log" |
                sed 's/^E: //'); waiting up to ${LOCK_TIMEOUT} s" >&2
            said_waiting=yes
            sleep "$LOCK_POLL"
            waited=$(($(date +%s) - start))
            continue
        fi
        gaveup=""
        if grep -Eq "$LOCKED" "$log"; then
            gaveup=" after waiting ${waited} s for the lock"
            LOCK_HELD=yes
        fi
        echo "$what: 'apt-get $*' failed (exit $status)$gaveup; apt-get said:" >&2
        _pm_errors "$log"
        rm -f "$log"
        return "$status"
    done
}

_apt_has_candidates() {
    for pkg in "$@"; do
        apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]' || return 1
    done
}

apt_install() {
    what=$1
    shift
    echo "$what: installing $* with apt-get${SUDO:+ (via sudo)}, waiting up to ${LOCK_TIMEOUT} s if another package manager is busy"
    updated=no
    if ! _apt_has_candidates "$@"; then
        _apt "$what" update || return $?
        updated=yes
    fi
    _apt "$what" install -y "$@" && return 0
    [ "$updated" = yes ] || [ "$LOCK_HELD" = yes ] && return 1
    echo "$what: retrying after apt-get update (the package lists may be stale)" >&2
    _apt "$what" update && _apt "$what" install -y "$@"
}

pm_run() {
    what=$1
    shift
    echo "$what: $*"
    status=0
    # shellcheck disable=SC2086
    $SUDO "$@" || status=$?
    [ "$status" = 0 ] || echo "$what: '$*' failed (exit $status); its error is above" >&2
    return "$status"
}
