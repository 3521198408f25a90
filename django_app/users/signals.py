"""Domain signals of the users feature (no receivers here: see ``users/events.py``)."""

from django.dispatch import Signal

user_registered = Signal()
"""Sent by ``services.register_user`` (and the admin's add form) with ``user=<User>``,
inside the creating transaction."""
