"""Test harness: offline by construction.

An autouse fixture refuses every connection that is not to loopback and removes real provider
keys from the environment, so no test can reach (or pay) a real provider.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

_KEY_SUFFIXES = ("_API_KEY", "_API_TOKEN", "_ACCESS_KEY_ID", "_SECRET_ACCESS_KEY")
DATA_DIR = Path(
    os.environ.get("SPARRING_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
)


class RealNetworkBlocked(RuntimeError):
    """A test tried to reach a host that is not loopback."""


def _is_loopback(host: Any) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.endswith(_KEY_SUFFIXES):
            monkeypatch.delenv(name, raising=False)
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address: Any) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise RealNetworkBlocked(f"tests are offline: refused connection to {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        guard(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise RealNetworkBlocked(f"tests are offline: refused DNS lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return


@pytest.fixture
def data_dir() -> Path:
    """The shared public data sets; skips the test when they are not on this machine."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"shared data folder not found at {DATA_DIR} (set SPARRING_DATA_DIR)")
    return DATA_DIR
