"""Fail fast, in one line, when the test services are not reachable."""

import socket
import sys
from urllib.parse import urlparse


def reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def main(database_url: str, redis_url: str) -> int:
    problems = []
    if not reachable(database_url, 5432):
        problems.append(f"PostgreSQL is not reachable at {urlparse(database_url).netloc}")
    if not reachable(redis_url, 6379):
        problems.append(f"Redis is not reachable at {urlparse(redis_url).netloc}")
    if problems:
        print("error: " + "; ".join(problems) + " (see README: Running the tests)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
