import pytest
from django.core.cache import cache

from accounts.models import User
from tests.factories import UserFactory

# Real SMTP server, push endpoint, Redis and Celery worker fixtures for the nudges tests.
pytest_plugins = ["tests.nudges_support"]


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_access_log_guard():
    """Let Django's flush between transactional tests empty the append-only access log.

    The flush is one TRUNCATE of every table, which the access log's statement trigger refuses
    (network migration 0009). The test database's superuser turns triggers off for the flush
    only, as a superuser could in production; the guard stays on for the tests themselves.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with self.connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            original(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = origin")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


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


@pytest.fixture(autouse=True)
def _admin_without_mfa(settings):
    # The admin tests predate the staff MFA rule and sign staff in without a second factor;
    # tests/clinic/test_security.py turns the rule back on and checks it.
    settings.STAFF_ADMIN_REQUIRES_MFA = False


@pytest.fixture
def make_user(db):
    """``UserFactory`` with the address first: ``make_user("sam@example.org", display_name=…)``."""

    def make(email: str | None = None, **fields) -> User:
        return UserFactory(**fields) if email is None else UserFactory(email=email, **fields)

    return make


@pytest.fixture
def member(make_user):
    return make_user("sam@example.org", display_name="Sam")
