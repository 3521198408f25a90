"""Users: the identity layer (user model, registration, token and session auth, admin)."""
