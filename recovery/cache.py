"""Django's Redis cache, but an unreachable Redis is a cache miss instead of a server error.

The cache only holds things that can be lost: rate-limit counters (allauth's sign-in and
sign-up limits, the encouragement limit) and short-lived markers. Sessions and everything due
live in PostgreSQL. So while Redis is down every operation answers as Django's DummyCache
does (``get`` gives the default, ``add`` succeeds, ``set`` stores nothing, ``incr`` of a
missing key raises ``ValueError``): rate limits fail open and nobody is locked out of
signing in or asking for help because of a broker outage.

After a failure the backend does not try Redis again for ``RETRY_AFTER_SECONDS``, so a Redis
host that does not answer costs one connect timeout per process, not one per request. The
first failure and the recovery are logged once each (JSON, logger ``recovery.cache``);
``degraded_stats()`` counts operations answered without Redis, and /healthz shows it.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Only "Redis is not there" degrades; a wrong command or a bad value still raises.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER_SECONDS = 5.0

_F = TypeVar("_F", bound=Callable[..., Any])


class _Outage:
    """Per-process state shared by every cache alias: down since when, and counters."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_since: float | None = None  # time.monotonic() of the first failure
        self.retry_at = 0.0
        self.degraded_operations = 0
        self.outages = 0

    def skip(self) -> bool:
        """True while Redis is known to be down and the retry pause has not passed."""
        with self.lock:
            if self.down_since is not None and time.monotonic() < self.retry_at:
                self.degraded_operations += 1
                return True
            return False

    def failed(self, operation: str, exc: BaseException) -> None:
        with self.lock:
            self.degraded_operations += 1
            self.retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            first = self.down_since is None
            if first:
                self.down_since = time.monotonic()
                self.outages += 1
        if first:
            logger.warning(
                "cache unavailable (%s in %s); answering as a cache miss, rate limits fail open",
                type(exc).__name__,
                operation,
            )

    def succeeded(self) -> None:
        if self.down_since is None:  # the common case, without taking the lock
            return
        with self.lock:
            if self.down_since is None:
                return
            seconds = time.monotonic() - self.down_since
            self.down_since = None
            skipped = self.degraded_operations
        logger.warning(
            "cache available again after %.1f s (%d operations answered without it so far)",
            seconds,
            skipped,
        )


OUTAGE = _Outage()


def degraded_stats() -> dict[str, Any]:
    """This process's view: is the cache degraded now, and how often it answered without it."""
    with OUTAGE.lock:
        return {
            "cache": "degraded" if OUTAGE.down_since is not None else "ok",
            "cache_degraded_operations": OUTAGE.degraded_operations,
            "cache_outages": OUTAGE.outages,
        }


def _degrade(fallback: Callable[..., Any]) -> Callable[[_F], _F]:
    """Run the Redis operation; if Redis is unreachable, answer ``fallback(*args)`` instead."""

    def decorate(method: _F) -> _F:
        @functools.wraps(method)
        def wrapper(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
            if OUTAGE.skip():
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                OUTAGE.failed(method.__name__, exc)
                return fallback(*args, **kwargs)
            OUTAGE.succeeded()
            return result

        return wrapper  # type: ignore[return-value]

    return decorate


def _missing_key(key: Any, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"Key '{key}' not found")  # what Django raises for incr of a missing key


def _default(key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that degrades to a no-op cache."""

    add = _degrade(lambda *a, **k: True)(RedisCache.add)
    get = _degrade(_default)(RedisCache.get)
    set = _degrade(lambda *a, **k: None)(RedisCache.set)
    touch = _degrade(lambda *a, **k: False)(RedisCache.touch)
    delete = _degrade(lambda *a, **k: False)(RedisCache.delete)
    get_many = _degrade(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _degrade(lambda *a, **k: False)(RedisCache.has_key)
    incr = _degrade(_missing_key)(RedisCache.incr)
    set_many = _degrade(lambda *a, **k: [])(RedisCache.set_many)
    delete_many = _degrade(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _degrade(lambda *a, **k: False)(RedisCache.clear)
