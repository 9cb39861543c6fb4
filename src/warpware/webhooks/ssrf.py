"""Keeping webhook (and notification SMTP) traffic off internal networks.

A partner chooses the URL we POST to, so without a guard the feature would let anyone make our
servers call 127.0.0.1, the cloud metadata address or a private database. Names are resolved at
registration (early feedback) and again before every attempt (DNS can change), every resolved address
must be public, and the connection then goes to the address that was checked, so a second resolution
cannot swap in another one. WARPWARE_ALLOW_PRIVATE_WEBHOOKS=1 lifts all of this for development.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(Exception):  # noqa: N818 - reads as what the target is
    """The URL is not one we deliver to (scheme, form, or an address on a private network)."""


class UnresolvableHost(UnsafeTarget):
    """DNS gave no answer: possibly temporary, so sending tries again later."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the checked IP to connect to


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global excludes private, loopback, link-local, shared (100.64/10), reserved and unspecified.
    return address.is_global and not address.is_multicast


def parse_url(url: str, *, allow_private: bool) -> SplitResult:
    """Check the form of a webhook URL; raises UnsafeTarget with a reason a partner can act on."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"not a valid URL: {exc}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeTarget("the URL must use https")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("the URL must not contain credentials")
    if parts.fragment:
        raise UnsafeTarget("the URL must not contain a fragment")
    if port == 0:
        raise UnsafeTarget("the URL's port must not be 0")
    if not allow_private:
        literal = _literal_address(parts.hostname)
        if literal is not None and not is_public(literal):
            raise UnsafeTarget(f"{parts.hostname} is a private, loopback or link-local address")
    return parts


def resolve(url: str, *, allow_private: bool) -> Target:
    """Resolve the URL's host now; every address must be public (unless private ones are allowed)."""
    parts = parse_url(url, allow_private=allow_private)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _literal_address(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise UnresolvableHost(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
        if not addresses:
            raise UnresolvableHost(f"{host} has no address")
    if not allow_private:
        private = [str(a) for a in addresses if not is_public(a)]
        if private:
            raise UnsafeTarget(f"{host} resolves to a private, loopback or link-local address ({private[0]})")
    return Target(scheme=parts.scheme, host=host, port=port, address=str(addresses[0]))


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
