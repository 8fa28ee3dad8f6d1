"""Access control, sessions and HTTP security headers."""
