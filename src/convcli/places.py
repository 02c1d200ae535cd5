"""Where convcli keeps files for its user, after the XDG base directories: the config folder
(the user's kernel library) and the cache folder (the calibration, parsed library kernels).

A cache file is only ever a saving: one that cannot be written, or is found damaged, costs the
work it would have saved, never a failure."""

from __future__ import annotations

import os
from pathlib import Path


def config_folder() -> Path:
    """``$XDG_CONFIG_HOME/convcli``, or ``~/.config/convcli``."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path("~/.config").expanduser()) / "convcli"


def cache_folder() -> Path:
    """``$XDG_CACHE_HOME/convcli``, or ``~/.cache/convcli``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "convcli"


def read_cached(path: Path) -> str | None:
    """The text of the cache file ``path``, or None if there is none to read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write_cached(path: Path, text: str) -> None:
    """Replace the cache file ``path`` whole (readers never see half of it); a read-only or
    missing home only means the saving is made again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError:
        pass
