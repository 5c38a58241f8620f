"""Production settings plus the bench's URLconf (bench/http_pages.py only; never deployed).

The bench's "hello" ceiling view must not exist in production, so it lives in a URLconf only
these settings select; everything else is ``recovery.settings`` read from the same
environment as in production.
"""

from recovery.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
