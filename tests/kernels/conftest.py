"""Shared checks for the kernel tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from convcli.errors import KernelError

#: ``raises_kernel_error(action, *fragments)``: the refusal every kernel test expects.
RaisesKernelError = Callable[..., str]


def _raises_kernel_error(action: Callable[[], object], *fragments: str) -> str:
    """Run ``action``; it must raise a one-line KernelError containing every fragment."""
    with pytest.raises(KernelError) as caught:
        action()
    message = str(caught.value)
    assert "\n" not in message, f"multi-line message: {message!r}"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


@pytest.fixture
def raises_kernel_error() -> RaisesKernelError:
    """The one-line KernelError check, shared by every kernel test module."""
    return _raises_kernel_error
