"""Convolution layers as data: weight banks (PyTorch or TensorFlow ``.npy``, ``.npz`` with
``weight`` and ``bias``, a plain kernel used depthwise) and YAML networks of ``conv``,
``activation`` and ``pool`` steps; and the option strings that describe them
(``--padding 1,2``, ``--pool max:2,stride=1``, ``--activation leaky-relu:0.2``).

Nothing is computed here: the engine (:mod:`convcli.engine.conv2d`, :mod:`convcli.engine.pooling`)
runs what these values describe.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from convcli.engine.conv2d import NAMED_PADDINGS, PADDING_MODES, AxisPadding
from convcli.engine.pooling import ACTIVATIONS
from convcli.errors import KernelError, UsageError
from convcli.kernels.model import Kernel

Layout = Literal["torch", "tf"]
Pair = tuple[int, int]
#: A bank of more kernels or bigger ones than this is not a layer anyone means to run here.
MAX_BANK_VALUES = 50_000_000


@dataclass(frozen=True)
class Bank:
    """A layer's kernels, ``weight`` (C_out, C_in/groups, kH, kW) and one ``bias`` per kernel.

    ``spread``: the kernels were written 2-D, the same weights on every input channel, so the
    second axis is 1 until the input's channel count is known (:meth:`weights_for`).
    """

    weight: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32] | None
    names: tuple[str, ...]
    spread: bool = False

    @property
    def size(self) -> Pair:
        return self.weight.shape[2], self.weight.shape[3]

    def weights_for(self, channels: int) -> npt.NDArray[np.float32]:
        """The weight array for ``channels`` input channels per group."""
        if self.spread and channels != 1:
            return np.repeat(self.weight, channels, axis=1)
        return self.weight


@dataclass(frozen=True)
class Conv:
    """One convolution, PyTorch's conv2d arguments; ``groups="depthwise"``: one group per input
    channel, the bank's single kernel repeated for each."""

    bank: Bank
    stride: Pair = (1, 1)
    padding: tuple[AxisPadding, AxisPadding] = (0, 0)
    padding_mode: str = "zeros"
    dilation: Pair = (1, 1)
    groups: int | Literal["depthwise"] = 1


@dataclass(frozen=True)
class Activation:
    name: str
    slope: float = 0.01  #: leaky-relu's slope for negatives


@dataclass(frozen=True)
class Pool:
    """PyTorch's MaxPool2d / AvgPool2d arguments (stride None: the size)."""

    kind: Literal["max", "avg"]
    size: Pair
    stride: Pair | None = None
    padding: Pair = (0, 0)
    ceil_mode: bool = False
    count_include_pad: bool = True


Step = Conv | Activation | Pool


@dataclass(frozen=True)
class Network:
    """Steps run in order on a (C, H, W) input."""

    steps: tuple[Step, ...]
    files: tuple[str, ...] = field(default=())  #: the files it was read from (not outputs)


# -- weight banks ------------------------------------------------------------------------------


def read_bank(data: bytes, name: str, layout: Layout = "torch") -> Bank:
    """A bank from ``.npy`` bytes ((C_out, C_in/groups, kH, kW), or TensorFlow's
    (kH, kW, C_in/groups, C_out) with ``layout="tf"``; a 3-D array is one kernel spanning C_in
    channels) or ``.npz`` bytes holding ``weight`` and optionally ``bias``."""
    bias = None
    if data[:4] == b"PK\x03\x04":  # .npz is a zip of .npy files
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                if "weight" not in archive:
                    raise KernelError(
                        f"{name}: a .npz bank holds `weight` (and `bias`), not "
                        f"{', '.join(archive.files) or 'nothing'}"
                    )
                weight = archive["weight"]
                bias = archive["bias"] if "bias" in archive else None
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise KernelError(f"{name}: not a readable .npz bank ({exc})") from None
    else:
        weight = _load_npy(data, name)
    if weight.dtype.kind not in "biuf":
        raise KernelError(f"{name}: weights must be numbers, not {weight.dtype}")
    if weight.ndim == 3:
        weight = weight[np.newaxis] if layout == "torch" else weight[..., np.newaxis]
    if weight.ndim != 4 or 0 in weight.shape:
        expected = "(C_out, C_in, kH, kW)" if layout == "torch" else "(kH, kW, C_in, C_out)"
        raise KernelError(f"{name}: a bank is {expected}, not {weight.shape}")
    if layout == "tf":
        weight = weight.transpose(3, 2, 0, 1)
    if weight.size > MAX_BANK_VALUES:
        raise KernelError(f"{name}: {weight.size:,} weights, more than {MAX_BANK_VALUES:,}")
    return _bank(weight, bias, name)


def bank_from_kernel(kernel: Kernel) -> Bank:
    """A plain kernel as a bank of one (its scale applied), to run depthwise."""
    weight = (np.asarray(kernel.weights, dtype=np.float64) * kernel.scale)[None, None]
    return _bank(weight, None, kernel.name or "kernel")


def _bank(weight: npt.NDArray[Any], bias: npt.NDArray[Any] | None, name: str) -> Bank:
    weight = weight.astype(np.float32)
    if not np.all(np.isfinite(weight)):
        raise KernelError(f"{name}: the weights hold NaN or infinite values")
    if bias is not None:
        bias = np.asarray(bias, dtype=np.float32).ravel()
        if bias.size != weight.shape[0]:
            raise KernelError(
                f"{name}: {bias.size} bias values for {weight.shape[0]} kernels; give one each"
            )
    names = tuple(f"map {number}" for number in range(weight.shape[0]))
    return Bank(np.ascontiguousarray(weight), bias, names)


def with_bias(bank: Bank, data: bytes, name: str) -> Bank:
    """``bank`` with the bias read from a ``.npy`` file (one value per kernel)."""
    bias = _load_npy(data, name).astype(np.float32).ravel()
    if bias.size != bank.weight.shape[0]:
        raise KernelError(f"{name}: {bias.size} bias values for {bank.weight.shape[0]} kernels")
    return Bank(bank.weight, bias, bank.names, bank.spread)


def _load_npy(data: bytes, name: str) -> npt.NDArray[Any]:
    try:
        array: npt.NDArray[Any] = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise KernelError(f"{name}: not a readable .npy array ({exc})") from None
    if not isinstance(array, np.ndarray):
        raise KernelError(f"{name}: a .npy file holds one array")
    return array


# -- option strings ----------------------------------------------------------------------------


def parse_pair(value: str | int | list[int], what: str) -> Pair:
    """``3`` or ``3,5`` (or a YAML list): the same along both axes, or rows then columns."""
    parts = _parts(value)
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        raise UsageError(f"`{what}` {value!r}: a whole number or two, rows,cols") from None
    if len(numbers) not in (1, 2) or min(numbers) < 1:
        raise UsageError(f"`{what}` {value!r}: one or two whole numbers ≥ 1")
    return (numbers[0], numbers[-1])


def parse_padding(value: str | int | list[Any]) -> tuple[AxisPadding, AxisPadding]:
    """``P``, ``PH,PW``, ``same``, ``valid`` or ``tf-same``."""
    if isinstance(value, str) and value.strip().lower() in NAMED_PADDINGS:
        named = value.strip().lower()
        return named, named
    parts = _parts(value)
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (1, 2) or min(numbers, default=-1) < 0:
        raise UsageError(
            f"`padding` {value!r}: a number, PH,PW, or one of {', '.join(NAMED_PADDINGS)}"
        )
    return numbers[0], numbers[-1]


def parse_groups(value: str | int) -> int | Literal["depthwise"]:
    """A whole number ≥ 1, or ``depthwise``: one group per input channel."""
    text = str(value).strip().lower()
    if text == "depthwise":
        return "depthwise"
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise UsageError(f"`groups` {value!r}: a whole number ≥ 1 or depthwise")


def parse_padding_mode(value: str) -> str:
    mode = value.strip().lower()
    if mode not in PADDING_MODES:
        raise UsageError(
            f"`padding_mode` {value!r}: one of {', '.join(PADDING_MODES)} (PyTorch's names)"
        )
    return mode


def parse_activation(value: str) -> Activation:
    """``relu``, ``leaky-relu`` or ``leaky-relu:0.2``, ``sigmoid``, ``tanh``, ``abs``."""
    name, _, argument = value.strip().lower().partition(":")
    if name not in ACTIVATIONS:
        raise UsageError(f"`activation` {value!r}: one of {', '.join(ACTIVATIONS)}")
    if not argument:
        return Activation(name)
    if name != "leaky-relu":
        raise UsageError(f"`activation` {value!r}: only leaky-relu takes a slope")
    try:
        slope = float(argument)
    except ValueError:
        raise UsageError(f"`activation` {value!r}: the slope must be a number") from None
    return Activation(name, slope)


def parse_pool(value: str) -> Pool:
    """``max:K`` or ``avg:K`` with ``,stride=S``, ``,padding=P``, ``,ceil`` and (avg)
    ``,exclude-pad``; K, S and P may be ``H×W`` pairs written ``HxW``."""
    kind, _, rest = value.strip().lower().partition(":")
    if kind not in ("max", "avg") or not rest:
        raise UsageError(f"`pool` {value!r}: write max:K or avg:K, e.g. max:2 or avg:3,stride=2")
    size_text, *options = [part.strip() for part in rest.split(",")]
    size = parse_pair(size_text.replace("x", ","), "pool")
    stride: Pair | None = None
    padding: Pair = (0, 0)
    ceil_mode, include = False, True
    for option in options:
        key, _, setting = option.partition("=")
        if key == "stride" and setting:
            stride = parse_pair(setting.replace("x", ","), "pool stride")
        elif key == "padding" and setting:
            numbers = _parts(setting.replace("x", ","))
            if not all(part.isdigit() for part in numbers) or len(numbers) not in (1, 2):
                raise UsageError(f"`pool` {value!r}: padding is one or two whole numbers ≥ 0")
            padding = (int(numbers[0]), int(numbers[-1]))
        elif key == "ceil" and not setting:
            ceil_mode = True
        elif key == "exclude-pad" and not setting and kind == "avg":
            include = False
        else:
            raise UsageError(
                f"`pool` {value!r}: unknown setting {option!r} (stride=S, padding=P, ceil, "
                "and for avg exclude-pad)"
            )
    return Pool(kind, size, stride, padding, ceil_mode, include)  # type: ignore[arg-type]


def _parts(value: str | int | list[Any]) -> list[str]:
    if isinstance(value, list):
        return [str(part) for part in value]
    return [part.strip() for part in str(value).split(",")]


# -- YAML networks -----------------------------------------------------------------------------


def parse_network(text: str, name: str, folder: Path, read: Any = None) -> Network:
    """A network from YAML: ``layers:``, a list of ``conv:``, ``activation:`` and ``pool:``
    steps. ``conv`` takes ``weights`` (a bank file, relative to ``folder``) or ``kernels`` (a
    list of ``{name, weights}``, each weights a matrix, a C_in list of matrices or any kernel
    spec), and ``bias``, ``stride``, ``padding``, ``padding_mode``, ``dilation``, ``groups``,
    ``layout``. ``read(path) -> bytes`` reads the bank files (default: from disk)."""
    import yaml

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise KernelError(f"{name}: not valid YAML{where}") from None
    layers = document.get("layers") if isinstance(document, dict) else None
    if not isinstance(layers, list) or not layers:
        raise KernelError(
            f"{name}: a network file has `layers:`, a list of conv, activation and pool steps"
        )
    reader = read or (lambda path: Path(path).read_bytes())
    steps: list[Step] = []
    files: list[str] = []
    for number, layer in enumerate(layers, 1):
        where = f"{name}, layer {number}"
        if not isinstance(layer, dict) or len(layer) != 1:
            raise KernelError(f"{where}: write one of conv:, activation: or pool:")
        ((kind, setting),) = layer.items()
        try:
            if kind == "conv":
                steps.append(_conv(setting, where, folder, reader, files))
            elif kind == "activation":
                steps.append(parse_activation(str(setting)))
            elif kind == "pool":
                steps.append(parse_pool(str(setting)))
            else:
                raise KernelError(f"{where}: unknown step {kind!r}; conv, activation or pool")
        except UsageError as exc:  # a file's setting, not an option: no backquotes
            raise KernelError(f"{where}: {str(exc).replace('`', '')}") from None
    return Network(tuple(steps), tuple(files))


def _conv(setting: Any, where: str, folder: Path, read: Any, files: list[str]) -> Conv:
    if not isinstance(setting, dict):
        raise KernelError(f"{where}: conv takes settings: weights or kernels, stride, padding ...")
    known = {"weights", "kernels", "bias", "stride", "padding", "padding_mode", "dilation",
             "groups", "layout"}  # fmt: skip
    unknown = sorted(set(setting) - known)
    if unknown:
        raise KernelError(
            f"{where}: unknown conv setting {unknown[0]!r}; {', '.join(sorted(known))}"
        )
    if ("weights" in setting) == ("kernels" in setting):
        raise KernelError(f"{where}: conv takes `weights` (a bank file) or `kernels`, one of them")
    if "weights" in setting:
        path = folder / str(setting["weights"])
        files.append(str(path))
        try:
            data = read(path)
        except OSError as exc:
            raise KernelError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None
        layout = str(setting.get("layout", "torch"))
        if layout not in ("torch", "tf"):
            raise KernelError(f"{where}: `layout` is torch or tf, not {layout!r}")
        bank = read_bank(data, str(path), layout)  # type: ignore[arg-type]
    else:
        bank = _inline_bank(setting["kernels"], where)
    if "bias" in setting:
        bias = np.asarray(setting["bias"], dtype=np.float64).ravel()
        if bias.size != bank.weight.shape[0]:
            raise KernelError(
                f"{where}: {bias.size} bias values for {bank.weight.shape[0]} kernels"
            )
        bank = Bank(bank.weight, bias.astype(np.float32), bank.names, bank.spread)
    return Conv(
        bank=bank,
        stride=parse_pair(setting.get("stride", 1), "stride"),
        padding=parse_padding(setting.get("padding", 0)),
        padding_mode=parse_padding_mode(str(setting.get("padding_mode", "zeros"))),
        dilation=parse_pair(setting.get("dilation", 1), "dilation"),
        groups=parse_groups(setting.get("groups", 1)),
    )


def _inline_bank(kernels: Any, where: str) -> Bank:
    """Kernels written in the file: each a 2-D matrix (the same on every input channel), a list
    of one matrix per input channel, or a kernel spec (a library name, an inline matrix). Next
    to per-channel kernels, a 2-D one is repeated for each channel."""
    from convcli.kernels.resolver import resolve_kernel

    if not isinstance(kernels, list) or not kernels:
        raise KernelError(f"{where}: `kernels` is a list of {{name, weights}}")
    arrays: list[npt.NDArray[np.float64]] = []
    names: list[str] = []
    for number, entry in enumerate(kernels):
        if not isinstance(entry, dict) or "weights" not in entry:
            raise KernelError(f"{where}, kernel {number}: write {{name: ..., weights: ...}}")
        weights = entry["weights"]
        if isinstance(weights, str):
            try:
                kernel = resolve_kernel(weights)
            except KernelError as exc:
                raise KernelError(f"{where}, kernel {number}: {exc}") from None
            if not isinstance(kernel, Kernel):
                raise KernelError(f"{where}, kernel {number}: a plain kernel, not a combined one")
            array = np.asarray(kernel.weights, dtype=np.float64)[None] * kernel.scale
        else:
            try:
                array = np.asarray(weights, dtype=np.float64)
            except (TypeError, ValueError):
                raise KernelError(
                    f"{where}, kernel {number}: weights are rows of numbers of equal length"
                ) from None
            array = array[None] if array.ndim == 2 else array
        if array.ndim != 3 or 0 in array.shape:
            raise KernelError(f"{where}, kernel {number}: a matrix, or one matrix per channel")
        arrays.append(array)
        names.append(str(entry.get("name", f"map {number}")))
    channels = max(array.shape[0] for array in arrays)
    arrays = [np.repeat(a, channels, axis=0) if a.shape[0] == 1 else a for a in arrays]
    shapes = {array.shape for array in arrays}
    if len(shapes) != 1:
        raise KernelError(f"{where}: the kernels of one layer share a shape, not {sorted(shapes)}")
    weight = np.stack(arrays)
    bank = _bank(weight, None, where)
    return Bank(bank.weight, None, tuple(names), spread=weight.shape[1] == 1)
