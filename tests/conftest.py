import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

from accounts.models import User

PASSWORD = "a-long-test-password-42"

# Real SMTP server, push endpoint, Redis and Celery worker fixtures for the nudges tests.
pytest_plugins = ["tests.nudges_support"]


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate limits live in the cache; every test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _exact_default_times(settings):
    # Default reminder times are spread per person in production; tests that sweep at
    # 19:00 or 12:00 expect the defaults to the minute (the spread has its own tests).
    settings.NUDGES_DEFAULT_JITTER_MINUTES = 0


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 at full strength costs ~0.3 s per hash; tests need correctness, not cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 1_000_000))

    def make(email: str | None = None, *, display_name: str = "", time_zone: str = "UTC", **extra):
        n = next(counter)
        email = email or f"user{n}@example.org"
        user = User.objects.create_user(
            email=email,
            password=PASSWORD,
            display_name=display_name or f"Person {n}",
            time_zone=time_zone,
            **extra,
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def member(make_user):
    return make_user("sam@example.org", display_name="Sam")
