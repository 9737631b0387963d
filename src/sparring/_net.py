"""Which hosts count as this machine: the test and reward servers bind only those by default."""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback_host"]


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name, an IPv4 or a bracketed or bare IPv6 address) is loopback.

    Only ``localhost`` is accepted by name: any other name could resolve anywhere.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
