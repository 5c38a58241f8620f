"""A fixed-window rate limit in the cache: a helper that knows no app."""

from __future__ import annotations

from django.core.cache import cache


def within_rate(key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt in a fixed window; False once the limit is passed."""
    cache.add(key, 0, window_seconds)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, window_seconds)
        return True
