"""Time the data export and count its queries for a member with a year of heavy use.

Run against a scratch database (everything is rolled back):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ratpark_bench .venv/bin/python \
        bench/accounts_export.py
The database must be migrated first (manage.py migrate).
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import delete_account, export_user_data  # noqa: E402
from checkins.models import CheckIn  # noqa: E402
from network.models import Contact, ContactMethod, Role, Tie  # noqa: E402
from notifications.models import Notification  # noqa: E402

DAYS, TIES, CONTACTS_PER_DAY, NOTIFICATIONS = 365, 20, 3, 1000


class Rollback(Exception):
    pass


def main() -> None:
    try:
        with transaction.atomic():
            member = User.objects.create_user("bench@example.org", "x", display_name="Bench")
            ties = Tie.objects.bulk_create(
                Tie(member=member, offline_name=f"Tie {n}", role=Role.FRIEND) for n in range(TIES)
            )
            start = datetime.date(2025, 1, 1)
            days = [start + datetime.timedelta(days=d) for d in range(DAYS)]
            CheckIn.objects.bulk_create(
                CheckIn(member=member, local_date=d, mood=3, craving=2, connectedness=3, notes="n")
                for d in days
            )
            Contact.objects.bulk_create(
                Contact(
                    member=member, tie=ties[(i + j) % TIES], method=ContactMethod.CALL, local_date=d
                )
                for i, d in enumerate(days)
                for j in range(CONTACTS_PER_DAY)
            )
            Notification.objects.bulk_create(
                Notification(
                    recipient=member,
                    kind="encouragement",
                    idempotency_key=f"b{n}",
                    title="t",
                    body="b",
                )
                for n in range(NOTIFICATIONS)
            )
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                data = export_user_data(member)
                body = json.dumps(data)
                elapsed = time.perf_counter() - began
            print(
                f"rows: {DAYS} check-ins, {TIES} ties, {DAYS * CONTACTS_PER_DAY} contacts, "
                f"{NOTIFICATIONS} notifications"
            )
            print(
                f"export: {elapsed * 1000:.0f} ms, {len(queries)} queries, "
                f"{len(body) / 1024:.0f} KiB of JSON"
            )
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                delete_account(member)
                elapsed = time.perf_counter() - began
            print(f"delete_account: {elapsed * 1000:.0f} ms, {len(queries)} queries")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
