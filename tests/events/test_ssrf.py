"""Where webhooks may go (events/ssrf.py)."""

import pytest
from django.core.exceptions import ValidationError

from events import ssrf


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/h", "http://localhost/h", "http://10.1.2.3/", "http://[::1]/",
                                 "http://169.254.169.254/latest/meta-data", "http://192.168.1.1/", "http://0.0.0.0/"])
def test_loopback_link_local_and_private_targets_are_refused_unless_allowed(url):
    """GIVEN a target on a non-public address WHEN checked THEN refused, naming the address; allowed by an admin's
    flag it passes."""
    with pytest.raises(ValidationError, match="loopback, link-local or private"):
        ssrf.check_target(url, allow_private=False)
    ssrf.check_target(url, allow_private=True)


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "javascript:alert(1)", "example.org",
                                 "http://user:pw@example.org/", "http:///nohost"])
def test_urls_that_are_not_plain_http_or_https_are_refused(url):
    with pytest.raises(ValidationError):
        ssrf.check_target(url, allow_private=True)


def test_a_public_address_passes_and_an_ipv4_mapped_loopback_does_not():
    """GIVEN literal addresses WHEN classified THEN a public one is public and ::ffff:127.0.0.1 is not."""
    import ipaddress

    assert ssrf.is_public(ipaddress.ip_address("93.184.216.34"))
    assert not ssrf.is_public(ipaddress.ip_address("::ffff:127.0.0.1"))
