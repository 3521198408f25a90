"""Users: custom user model (registration and auth arrive with the users issue)."""
