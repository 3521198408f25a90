"""Code shared by every feature: base model, errors, middleware, hooks."""
