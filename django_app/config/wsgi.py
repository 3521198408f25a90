"""WSGI entry point: ``gunicorn config.wsgi:application`` (HTTP only, no websockets).

The production split the benchmark measures (README "Performance"): plain HTTP served by
a WSGI server, so sync DRF views run without the ASGI sync/async thread hop, and
websockets served by the ASGI app (``config.asgi``) behind the same proxy.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
