"""Real local stand-ins for outside services the tests cannot reach (no mocks of our code)."""
