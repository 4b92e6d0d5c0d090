"""Camera front-end."""
