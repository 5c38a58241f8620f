"""Access-log appends from many writers at once: one member's chain versus many members' chains.

Usage (PostgreSQL only; a scratch database, its access log is appended to and left there):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ratpark_bench \
        .venv/bin/python bench/accesslog_chains.py

Each of ``--writers`` threads appends ``--appends`` entries, each in a transaction that stays
open ``--hold-ms`` after the append (a page that records the disclosure and then renders).
Run once with every writer on the same member (they share one chain and one lock, as every
append on the site did with the old single chain) and once with each writer on its own member.
Prints both wall times and their ratio, measured side by side.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from network.accesslog import disclosures_append, verify_chain  # noqa: E402


def _user(n: int) -> User:
    user, _ = User.objects.get_or_create(
        email=f"bench-chain-{n}@example.org", defaults={"display_name": f"Bench {n}"}
    )
    return user


def _run(viewer: User, members: list[User], appends: int, hold: float) -> float:
    start = threading.Barrier(len(members) + 1)
    errors: list[BaseException] = []

    def write(member: User) -> None:
        try:
            start.wait()
            for _ in range(appends):
                with transaction.atomic():
                    disclosures_append(viewer=viewer, member=member, scopes=["notes"])
                    time.sleep(hold)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--appends", type=int, default=25)
    parser.add_argument("--hold-ms", type=float, default=5.0)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only: the per-member lock is an advisory lock.")
    call_command("migrate", verbosity=0)
    viewer = _user(0)
    own = [_user(n) for n in range(1, args.writers + 1)]
    hold = args.hold_ms / 1000
    shared = _run(viewer, [own[0]] * args.writers, args.appends, hold)
    separate = _run(viewer, own, args.appends, hold)
    total = args.writers * args.appends
    print(f"{args.writers} writers x {args.appends} appends, {args.hold_ms} ms held after each")
    print(f"  one member's chain:       {shared:6.2f} s  ({total / shared:7.1f} appends/s)")
    print(f"  one chain per writer:     {separate:6.2f} s  ({total / separate:7.1f} appends/s)")
    print(f"  ratio (one chain / many): {shared / separate:6.2f}x")
    report = verify_chain()
    print(f"  verify_chain: {'ok' if report.ok else 'BROKEN'}, {report.checked} entries")


if __name__ == "__main__":
    main()
