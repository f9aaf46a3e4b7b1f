"""Files written whole or not at all, and read only when they are regular files.

``replace_file(path, data, where)`` writes text (UTF-8) or bytes through a temporary file
beside the target and a rename: a failure leaves the old file as it was. A new file gets the
usual mode (0o666 less the umask), an existing one keeps its mode, a symlink is written
through (the link stays a link), and anything else that is not a regular file (a directory,
device, FIFO or socket) is refused with a ValueError before anything is written.
``file_kind(mode)`` names such a file. Used by ``Module.save``, every file of the drawings
(``save_svg``, ``save_png``, ``save_pdf``, the step frames, ``Drawing.render``) and the
stepper's ``save_html``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path


def file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def replace_file(path: str | os.PathLike[str], data: str | bytes, where: str = "save") -> None:
    """Write data (text as UTF-8, or bytes) to path through a temporary file and a rename;
    errors name path."""
    shown = os.fspath(path)
    target = Path(os.path.realpath(path))  # through symlinks: the link itself stays
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as e:
        raise OSError(e.errno, e.strerror, shown) from None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise ValueError(
            f"{where}: {shown!r} is {file_kind(old.st_mode)}; {where} writes only a regular file "
            "(or through a symlink to one)"
        )
    if old is not None and not os.access(target, os.W_OK):
        raise PermissionError(13, "Permission denied (the file is read-only)", shown)
    tmp = None
    try:
        fd, tmp = _create_beside(target)
        with os.fdopen(fd, "wb") as f:
            if old is not None:  # keep the old file's mode (and owner, where allowed)
                _keep_mode_and_owner(f.fileno(), tmp, old)
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as e:
        raise OSError(e.errno, e.strerror, shown) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _keep_mode_and_owner(fd: int, tmp: str, old: os.stat_result) -> None:
    """Give the new file the old one's mode, and its owner where allowed (by the open file,
    so a swapped path cannot redirect the change; by name where the OS lacks fchmod)."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(old.st_mode))
    else:
        os.chmod(tmp, stat.S_IMODE(old.st_mode))
    if hasattr(os, "fchown"):
        with contextlib.suppress(OSError):
            os.fchown(fd, old.st_uid, old.st_gid)


def _create_beside(target: Path) -> tuple[int, str]:
    """Create a new hidden file next to target, mode 0o666 less the umask (as open() does)."""
    for _ in range(100):
        tmp = str(target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(17, "could not create a temporary file", str(target))
