"""The YAML kernel format, read safely and checked with the line of every problem.

Schema (one kernel per file, or a list of them)::

    name: sobel-x                  # defaults to the file's stem for a one-kernel file
    description: One line.
    weights: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]   # or a block of text rows, or
    generate: "gaussian:sigma=2"   # a parametric kernel, or
    combine: magnitude             # magnitude | max | sum, over
    kernels: [sobel-x, sobel-y]    # names, inline matrices, generators or mappings
    scale: 1/16                    # number or fraction; or
    normalize: true                # scale = 1 / sum of weights
    offset: 0                      # image units, or "50%" of the full range
    tags: [edges]

Safety: the document is composed into nodes and checked before anything is built. Only plain
YAML types are allowed (no tags that construct objects), aliases are refused (no "billion
laughs"), and the file size is bounded by the caller.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from convcli.errors import KernelError
from convcli.kernels.generators import generate
from convcli.kernels.model import (
    COMBINES,
    MAX_KERNEL_SIDE,
    AnyKernel,
    CombinedKernel,
    Kernel,
    Source,
)
from convcli.kernels.numbers import parse_number, parse_offset
from convcli.kernels.text import parse_grid

if TYPE_CHECKING:
    import yaml

KEYS = (
    "name",
    "description",
    "weights",
    "generate",
    "combine",
    "kernels",
    "scale",
    "normalize",
    "offset",
    "tags",
)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null", "seq", "map")
)
_MAX_PARTS = 64
_MAX_NESTING = 8

Resolve = Callable[[str], AnyKernel]


class _Reader:
    """Turns one composed YAML document into kernels, naming file and line on every error."""

    def __init__(
        self, where: str, default_name: str, source: Source, path: str | None, resolve: Resolve
    ) -> None:
        self.where = where
        self.default_name = default_name
        self.source = source
        self.path = path
        self.resolve = resolve
        import yaml

        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, message: str) -> KernelError:
        place = f"{self.where} line {node.start_mark.line + 1}"
        if message.startswith(place):  # already located by a nested reader
            return KernelError(message)
        return KernelError(f"{place}: {message}")

    def document(self, root: yaml.Node) -> list[AnyKernel]:
        import yaml

        if isinstance(root, yaml.SequenceNode):
            if not root.value:
                raise self.fail(root, "the list of kernels is empty")
            kernels = [self.kernel(item, None, depth=0) for item in root.value]
            names = [k.name for k in kernels]
            for name in {n for n in names if names.count(n) > 1}:
                raise KernelError(f"{self.where}: the name {name!r} is used more than once")
            return kernels
        return [self.kernel(root, self.default_name, depth=0)]

    def kernel(self, node: yaml.Node, default_name: str | None, depth: int) -> AnyKernel:
        import yaml

        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"a kernel is a mapping of keys ({', '.join(KEYS[:3])} ...)")
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node)
            if not isinstance(key, str) or key not in KEYS:
                hint = difflib.get_close_matches(str(key), KEYS, n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.fail(
                    key_node, f"unknown key {key!r}{suggestion}; allowed: {', '.join(KEYS)}"
                )
            if key in fields:
                raise self.fail(key_node, f"the key {key!r} appears twice")
            fields[key] = value_node

        name = self.text(fields["name"], "name") if "name" in fields else default_name
        if not name:
            raise self.fail(node, "every kernel in a list needs a 'name'")
        common: dict[str, Any] = {
            "name": name.strip().lower(),
            "description": self.text(fields["description"], "description").strip()
            if "description" in fields
            else "",
            "source": self.source,
            "path": self.path,
            "tags": self.tags(fields["tags"]) if "tags" in fields else (),
        }
        if "offset" in fields:
            common["offset"], common["offset_relative"] = self.offset(fields["offset"])

        bodies = [key for key in ("weights", "generate", "combine") if key in fields]
        if len(bodies) != 1:
            found = " and ".join(bodies) if bodies else "none of them"
            raise self.fail(
                node, f"a kernel needs exactly one of weights, generate or combine ({found})"
            )
        if "kernels" in fields and bodies != ["combine"]:
            raise self.fail(fields["kernels"], "'kernels' goes with 'combine'")
        if "normalize" in fields and "scale" in fields:
            raise self.fail(fields["normalize"], "give either 'scale' or 'normalize', not both")
        scale = self.scale(fields["scale"]) if "scale" in fields else 1.0

        if bodies == ["combine"]:
            return self.combined(node, fields, common, scale, depth)
        if "weights" in fields:
            weights = self.weights(fields["weights"])
        else:
            generated = self.generated(fields["generate"])
            weights, scale = generated.weights, scale * generated.scale
        if "normalize" in fields and self.boolean(fields["normalize"], "normalize"):
            total = float(np.sum(weights))
            if abs(total) < 1e-12:
                raise self.fail(
                    fields["normalize"], "normalize: true needs weights whose sum is not 0"
                )
            scale = 1.0 / total
        try:
            return Kernel(weights=weights, scale=scale, **common)
        except KernelError as exc:
            raise self.fail(node, str(exc)) from None

    def combined(
        self,
        node: yaml.Node,
        fields: dict[str, yaml.Node],
        common: dict[str, Any],
        scale: float,
        depth: int,
    ) -> CombinedKernel:
        import yaml

        combine = self.text(fields["combine"], "combine").strip().lower()
        if combine not in COMBINES:
            raise self.fail(
                fields["combine"], f"combine must be one of {', '.join(COMBINES)}, not {combine!r}"
            )
        if "normalize" in fields:
            raise self.fail(fields["normalize"], "'normalize' does not apply to combined kernels")
        if depth >= _MAX_NESTING:
            raise self.fail(node, f"combined kernels nest more than {_MAX_NESTING} deep")
        items = fields.get("kernels")
        if not isinstance(items, yaml.SequenceNode) or not items.value:
            raise self.fail(items or node, "'combine' needs 'kernels': a list of kernels")
        if len(items.value) > _MAX_PARTS:
            raise self.fail(items, f"at most {_MAX_PARTS} kernels can be combined")
        parts = []
        for index, item in enumerate(items.value, start=1):
            if isinstance(item, yaml.ScalarNode):
                spec = self.scalar(item)
                if not isinstance(spec, str | int | float) or isinstance(spec, bool):
                    raise self.fail(item, "a kernel in 'kernels' is a name, a matrix or a mapping")
                try:
                    parts.append(self.resolve(str(spec)))
                except KernelError as exc:
                    raise self.fail(item, str(exc)) from None
            else:
                parts.append(self.kernel(item, f"{common['name']}[{index}]", depth + 1))
        return CombinedKernel(parts=tuple(parts), combine=combine, scale=scale, **common)

    def weights(self, node: yaml.Node) -> np.ndarray:
        import yaml

        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node)
            if not isinstance(value, str):
                raise self.fail(
                    node, f"'weights' must be a list of rows or a block of text rows, not {value!r}"
                )
            first = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
            return parse_grid(value, self.where, first_line=first)
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.fail(node, "'weights' must be a non-empty list of rows")
        rows_nodes = node.value
        if all(isinstance(item, yaml.ScalarNode) for item in rows_nodes):
            rows_nodes = [node]  # a flat list is one row
        if len(rows_nodes) > MAX_KERNEL_SIDE:
            raise self.fail(node, f"more than {MAX_KERNEL_SIDE} rows")
        rows: list[list[float]] = []
        for row_node in rows_nodes:
            if not isinstance(row_node, yaml.SequenceNode):
                raise self.fail(row_node, "each row of 'weights' must be a list of numbers")
            if len(row_node.value) > MAX_KERNEL_SIDE:
                raise self.fail(row_node, f"more than {MAX_KERNEL_SIDE} values in a row")
            row = [self.number(cell, "a weight") for cell in row_node.value]
            if rows and len(row) != len(rows[0]):
                raise self.fail(
                    row_node,
                    f"expected {len(rows[0])} values (as in the first row), got {len(row)}",
                )
            rows.append(row)
        if not rows or not rows[0]:
            raise self.fail(node, "'weights' is empty")
        return np.array(rows, dtype=np.float64)

    def generated(self, node: yaml.Node) -> Kernel:
        spec = self.text(node, "generate")
        try:
            return generate(spec)
        except KernelError as exc:
            raise self.fail(node, str(exc)) from None

    def number(self, node: yaml.Node, what: str) -> float:
        value = self.scalar(node)
        if isinstance(value, bool) or value is None:
            raise self.fail(node, f"{what} must be a number, not {value!r}")
        try:
            number = float(value) if isinstance(value, int | float) else parse_number(str(value))
        except (OverflowError, ValueError):
            raise self.fail(node, f"{what} is too large to be a number") from None
        if number is None:
            raise self.fail(node, f"{what} must be a number, not {value!r}")
        if not math.isfinite(number):
            raise self.fail(node, f"{what} must be a finite number, not {value!r}")
        return number

    def scale(self, node: yaml.Node) -> float:
        value = self.number(node, "'scale'")
        if value == 0:
            raise self.fail(node, "'scale' must not be 0")
        return value

    def offset(self, node: yaml.Node) -> tuple[float, bool]:
        value = self.scalar(node)
        parsed = None if isinstance(value, bool) else parse_offset(str(value))
        if parsed is None:
            raise self.fail(node, f"'offset' must be a number or a percentage, not {value!r}")
        return parsed

    def text(self, node: yaml.Node, what: str) -> str:
        value = self.scalar(node)
        if not isinstance(value, str):
            raise self.fail(node, f"'{what}' must be text, not {value!r}")
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool:
        value = self.scalar(node)
        if not isinstance(value, bool):
            raise self.fail(node, f"'{what}' must be true or false, not {value!r}")
        return value

    def tags(self, node: yaml.Node) -> tuple[str, ...]:
        import yaml

        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "'tags' must be a list of words")
        return tuple(self.text(item, "tags").strip().lower() for item in node.value)

    def scalar(self, node: yaml.Node) -> Any:
        import yaml

        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, "expected a single value here, not a list or mapping")
        try:
            return self.constructor.construct_object(node)  # plain tags only, checked before
        except (ValueError, OverflowError):
            raise self.fail(node, f"{node.value[:40]!r} is not a usable value") from None


def parse_yaml_kernels(
    text: str,
    *,
    where: str,
    default_name: str,
    source: Source = "file",
    path: str | None = None,
    resolve: Resolve,
) -> list[AnyKernel]:
    """Every kernel defined in the YAML ``text`` (``where`` names it in error messages).

    ``resolve`` turns the names and specs listed under ``kernels:`` into kernels.
    """
    import yaml

    loader = _loader_class()(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark else ""
        reason = " ".join(str(exc.problem or exc.context).split())
        raise KernelError(f"{where}{line}: not valid YAML ({reason})") from None
    except yaml.YAMLError as exc:
        reason = " ".join(str(getattr(exc, "reason", None) or exc).split())
        raise KernelError(f"{where}: not valid YAML ({reason})") from None
    finally:
        loader.dispose()
    if root is None:
        raise KernelError(f"{where}: the file is empty")
    _check_plain(root, where)
    return _Reader(where, default_name, source, path, resolve).document(root)


def _loader_class() -> type[Any]:
    """A safe loader that reads date-like text as text: a description of "2001-12-14" stays one.

    An explicit ``!!timestamp`` tag is still refused by the plain-tag check.
    """
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolvers = {
        first: [(tag, pattern) for tag, pattern in entries if tag != _TIMESTAMP]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    return type("KernelLoader", (base,), {"yaml_implicit_resolvers": resolvers})


def _check_plain(root: yaml.Node, where: str) -> None:
    """Refuse aliases and any tag that is not a plain YAML type, before anything is built."""
    import yaml

    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        line = node.start_mark.line + 1
        if id(node) in seen:
            raise KernelError(f"{where} line {line}: YAML aliases (*name) are not allowed here")
        seen.add(id(node))
        if node.tag not in _PLAIN_TAGS:
            raise KernelError(
                f"{where} line {line}: the YAML tag {node.tag!r} is not allowed "
                "(kernel files hold only numbers, text, lists and mappings)"
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
