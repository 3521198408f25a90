"""Contract compatibility layer: code that exists only to meet the shared contract.

Everything here changes what Django or DRF would do by default so that this app answers
exactly like its Litestar twin (the contract in ``contract_tests/``). Feature folders
(``users``, ``items``, ``chat``) stay plain Django/DRF; each unit below is marked
``# contract-shim: <decision>`` with the contract decision it serves (and, for a framework
bug, the upstream issue). The architecture selftest keeps the marker inside this package.

Registered in one place, ``config/settings.py`` (plus Django's ``handler404``-style names in
``config/urls.py``, which Django only reads from the URLconf).

Deleting the package gives a stock Django/DRF app: HTML error pages and ``{"detail": ...}``
bodies, ``OPTIONS`` as a 200 metadata document, ``Accept``-driven 406s, coerced strings
(``123`` -> ``"123"``), 400 instead of 413 for large JSON bodies, and no default
``Cache-Control``. That is a fine Django app, just not this contract.
"""
