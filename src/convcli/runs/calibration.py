"""The engine's calibration kept between runs: measured once per machine (processor, cores,
NumPy, convcli) and stored as a small JSON file in the user's cache folder
(``$XDG_CACHE_HOME/convcli`` or ``~/.cache/convcli``). ``CONVCLI_CALIBRATION=off`` keeps the
cost model's own constants; a file that cannot be read or written only costs a measurement.
"""

from __future__ import annotations

import json
import os
import platform
import zlib
from dataclasses import asdict
from pathlib import Path

from convcli.engine.tuning import CALIBRATION, Calibration
from convcli.places import cache_folder, read_cached, write_cached

#: Set to ``off`` to plan with the model's constants (as the tests do, for stable plans).
SWITCH = "CONVCLI_CALIBRATION"


def enabled() -> bool:
    return os.environ.get(SWITCH, "").strip().lower() not in ("off", "0", "no", "false")


def install(active: bool = True) -> None:
    """Let the first plan of this process use this machine's calibration (cached, or measured
    and cached then); with ``active`` off or ``CONVCLI_CALIBRATION=off``, the model's."""
    CALIBRATION.source(load if active and enabled() else None)


def cache_file() -> Path:
    """This machine's calibration file."""
    import numpy as np

    from convcli import __version__

    # platform.processor() would run `uname -p` in a subprocess on Linux: the model name says more
    machine = "|".join(
        (platform.machine(), _cpu_model(), str(os.cpu_count()), np.__version__, __version__)
    )
    key = f"{zlib.crc32(machine.encode()):08x}"  # a file name, not a secret: no OpenSSL import
    return cache_folder() / f"calibration-{key}.json"


def load() -> Calibration:
    """The cached calibration, or a new measurement (then cached)."""
    path = cache_file()
    try:
        data = json.loads(read_cached(path) or "")
        return Calibration(**{name: float(data[name]) for name in ("direct", "separable", "fft")})
    except (ValueError, KeyError, TypeError):
        pass
    from convcli.engine.calibration import measure

    measured = measure()
    write_cached(path, json.dumps(asdict(measured)))
    return measured


def _cpu_model() -> str:
    """The processor's model name where Linux says it (platform.processor() is often empty)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""
