"""The client's address: REMOTE_ADDR, or behind a trusted proxy the address it forwarded.

Every throttle and record of "from where" (login, one-time codes, the needs intake) reads the
address through `client_ip(request)`. `X-Forwarded-For` is a list any client can start, so it
is read only when the connection comes from a proxy named in `settings.TRUSTED_PROXIES`
(addresses or CIDR networks), and then from the right: each trusted hop is skipped and the
first address that is not a trusted proxy is the client. Values further left were written by
the client itself and are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(value: str) -> str | None:
    """The address in `value` in canonical form (a port or IPv6 brackets removed), or None."""
    value = value.strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:  # 192.0.2.1:8080
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` entries as networks; `ValueError` names an entry that is neither an
    address nor a network."""
    networks = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {value!r} is not an address or network") from None
    return tuple(networks)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == n.version and ip in n for n in networks)


def forwarded_client(
    remote_addr: str | None, forwarded_for: str | None, networks: Sequence[Network]
) -> str | None:
    """The client's address given the connection's peer and its X-Forwarded-For header.

    Unless the peer is a trusted proxy, the peer is the client. Otherwise the header is read
    from the right, skipping trusted proxies; the first other address is the client. A
    malformed entry stops the walk at the last trusted hop (what the proxy itself wrote cannot
    be read, so nothing left of it can be believed).
    """
    client = parse_address(remote_addr or "")
    if client is None or not networks or not _trusted(client, networks):
        return client
    for entry in reversed((forwarded_for or "").split(",")):
        if not entry.strip():
            continue
        hop = parse_address(entry)
        if hop is None:
            return client
        client = hop
        if not _trusted(hop, networks):
            return client
    return client


@lru_cache(maxsize=4)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return parse_networks(values)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def client_ip(request) -> str | None:
    """The address of the client that sent `request` (see the module's docstring)."""
    if request is None:
        return None
    meta = request.META
    return forwarded_client(
        meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"), trusted_networks()
    )


@register("security")
def check_trusted_proxies(app_configs=None, **kwargs):
    try:
        parse_networks(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    except ValueError as exc:
        return [Error(str(exc), id="qinqing.E001")]
    return []
