"""Contract shims: response headers the contract pins.

Security headers need no code: Django's ``SecurityMiddleware`` (X-Content-Type-Options,
Referrer-Policy) and ``XFrameOptionsMiddleware`` (X-Frame-Options) send them, configured in
settings. What Django has no setting for is an app-wide default ``Cache-Control``.
"""

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin
from rest_framework.throttling import SimpleRateThrottle


# contract-shim: every 429 carries Retry-After (DRF omits it once the stored history is
# longer than the current limit, e.g. after the limit was lowered).
class RetryAfterThrottle(SimpleRateThrottle):
    """A ``SimpleRateThrottle`` whose ``wait()`` never returns ``None``."""

    duration: int  # set by SimpleRateThrottle.parse_rate (undeclared in the stubs)

    def wait(self) -> float:
        if self.history:
            return max(1.0, self.duration - (self.now - self.history[-1]))
        return float(self.duration)


# Static files (WhiteNoise answers them above this middleware anyway) and the admin (its
# views are ``never_cache``) keep their own.
NO_DEFAULT_CACHE_CONTROL = ("/static/", "/admin")


# contract-shim: 17, 21 (every answer defaults to ``Cache-Control: no-store``: any method
# and status, OPTIONS, 404, 405 and 500 included), as the Litestar app-level setting does.
class CacheControlMiddleware(MiddlewareMixin):
    """App-wide default ``Cache-Control: no-store``, errors and pages included.

    DRF has no configuration layers; this is the outermost one. Views set a closer value
    (``django.views.decorators.cache.cache_control`` or the items viewset's
    ``cache_control``); this only fills the header when it is absent.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        covered = not request.path.startswith(NO_DEFAULT_CACHE_CONTROL)
        if covered and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True)
        return response
