"""The cache with Redis stopped: a miss and a log line, never an error (recovery/cache.py)."""

from __future__ import annotations

import logging
import shutil
from http import HTTPStatus

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

from recovery import cache as resilient
from recovery.ratelimit import within_rate
from tests.factories import PASSWORD
from tests.nudges_support import RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def stoppable_cache(tmp_path, settings, monkeypatch):
    """The default cache on a redis-server of its own, with fresh outage counters."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = RedisServer(tmp_path)
    server.start()
    monkeypatch.setattr(resilient, "OUTAGE", resilient._Outage())
    settings.CACHES = {
        "default": {
            "BACKEND": "recovery.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    yield server
    server.stop()


def test_an_unreachable_redis_is_a_miss_logged_once_and_counted(
    stoppable_cache, caplog, monkeypatch
):
    cache.set("kept", 1, 60)
    assert cache.get("kept") == 1
    assert resilient.degraded_stats()["cache"] == "ok"

    stoppable_cache.stop()
    with caplog.at_level(logging.WARNING, logger="recovery.cache"):
        assert cache.get("kept", "default") == "default"
        assert cache.add("lock", True, 10) is True  # as if nobody held it: limits fail open
        assert cache.set("kept", 2, 60) is None
        assert cache.get_many(["kept", "other"]) == {}
        assert cache.delete("kept") is False
        assert cache.has_key("kept") is False
        with pytest.raises(ValueError, match="not found"):  # what a missing key gives
            cache.incr("counter")
    assert [r.getMessage() for r in caplog.records].count(
        "cache unavailable (ConnectionError in get); answering as a cache miss, rate limits "
        "fail open"
    ) == 1
    assert len(caplog.records) == 1
    stats = resilient.degraded_stats()
    assert stats["cache"] == "degraded"
    assert stats["cache_degraded_operations"] == 7
    assert stats["cache_outages"] == 1

    # Back: after the retry pause the cache is used again, and the log says so once.
    stoppable_cache.start()
    monkeypatch.setattr(resilient, "RETRY_AFTER_SECONDS", 0)
    resilient.OUTAGE.retry_at = 0
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="recovery.cache"):
        cache.set("fresh", 3, 60)
        assert cache.get("fresh") == 3
    assert len(caplog.records) == 1
    assert caplog.records[0].getMessage().startswith("cache available again after")
    assert resilient.degraded_stats()["cache"] == "ok"


def test_while_redis_is_known_down_it_is_not_asked_again_until_the_pause_ends(
    stoppable_cache,
):
    stoppable_cache.stop()
    assert cache.get("a") is None
    stoppable_cache.start()
    redis.Redis.from_url(stoppable_cache.url).set(":1:a", b"1")  # Redis is back ...
    assert cache.get("a") is None  # ... but this process waits out its pause first
    resilient.OUTAGE.retry_at = 0
    assert cache.get("a") is not None


def test_a_real_redis_error_still_raises(stoppable_cache):
    # Only "Redis is not there" degrades: a command Redis refuses is a bug to see.
    redis.Redis.from_url(stoppable_cache.url).set(":1:text", b"not a number")
    with pytest.raises(redis.ResponseError):
        cache.incr("text")


def test_rate_limits_fail_open_and_sign_in_works_with_redis_down(
    stoppable_cache, client, make_user
):
    user = make_user("sam@example.org")
    stoppable_cache.stop()
    # The encouragement and supporter-log limits count in the cache: no count, no refusal.
    assert all(within_rate("network:encourage:x", 1, 60) for _ in range(5))
    # allauth's login limit takes a cache lock (cache.add): it must not wait and refuse.
    for _ in range(3):
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": "wrong-password-0"}
        )
        assert response.status_code == HTTPStatus.OK  # the form's error, not 429 or 500
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert "_auth_user_id" in client.session
