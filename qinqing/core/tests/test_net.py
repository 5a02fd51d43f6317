"""The client's address (qinqing.core.net): X-Forwarded-For only from a trusted proxy, read from
the right."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from qinqing.core.net import check_trusted_proxies, client_ip, forwarded_client, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # No proxy trusted or an untrusted peer: the header is the client's own word, ignored.
        ("198.51.100.1", "203.0.113.9", "198.51.100.1"),
        ("198.51.100.1", None, "198.51.100.1"),
        # A trusted peer: the rightmost address that is not a trusted proxy.
        ("10.0.0.2", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.2", "1.1.1.1, 203.0.113.9, 192.0.2.1", "203.0.113.9"),
        ("10.0.0.2", "1.1.1.1,203.0.113.9 ,10.1.2.3", "203.0.113.9"),
        # Spoofed values to the left of the real client are never read.
        ("10.0.0.2", "127.0.0.1, 10.9.9.9, 203.0.113.9", "203.0.113.9"),
        # Only trusted hops: the leftmost of them; no header: the proxy itself.
        ("10.0.0.2", "10.0.0.3, 192.0.2.1", "10.0.0.3"),
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
        # Garbage where the proxy should have written an address: stop at the last trusted hop.
        ("10.0.0.2", "203.0.113.9, not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "not-an-ip, 203.0.113.9", "203.0.113.9"),
        # Ports, brackets, IPv6, IPv4-mapped IPv6.
        ("10.0.0.2", "203.0.113.9:5000", "203.0.113.9"),
        ("2001:db8::1", "[2001:db8:ffff::1]:443, 2001:4860::8888", "2001:4860::8888"),
        ("::ffff:10.0.0.2", "203.0.113.9", "203.0.113.9"),
        ("", "203.0.113.9", None),
    ],
)
def test_forwarded_client(remote, forwarded, client):
    assert forwarded_client(remote, forwarded, PROXIES) == client


def test_no_trusted_proxies_means_the_peer(settings):
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request) == "203.0.113.9"
    assert client_ip(None) is None


def test_a_wrong_trusted_proxies_setting_is_refused(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example"]
    [error] = check_trusted_proxies()
    assert "proxy.example" in error.msg
    with pytest.raises(ImproperlyConfigured):
        client_ip(RequestFactory().get("/"))
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert check_trusted_proxies() == []
