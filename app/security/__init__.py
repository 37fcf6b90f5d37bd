"""Cross-site protection, in both AUTH modes: the server answers only the Host names it is
meant to (hosts.py, against DNS rebinding), takes changes only from its own pages or from
scripts (origin.py, against forged form posts and fetches), and every answer tells the browser
to run only the app's own scripts and styles and never to frame it (headers.py)."""

from app.security.headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, SecurityHeaders
from app.security.hosts import HostAllowList, host_name
from app.security.origin import SameOrigin, cross_site

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "SECURITY_HEADERS",
    "HostAllowList",
    "SameOrigin",
    "SecurityHeaders",
    "cross_site",
    "host_name",
]
