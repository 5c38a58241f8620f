"""Quiet hours and channels move from the reminder choices to ``accounts.ContactPreferences``.

Each saved row's values are copied across before the columns go; going back copies them
onto the reminder rows again. A person with contact preferences but no reminder row (only
possible through the admin after this migration) has nowhere to carry them back to, and
gets the defaults.
"""

from django.db import migrations

COLUMNS = ("quiet_start", "quiet_end", "channel_in_app", "channel_email", "channel_push")


def _tables(apps, schema_editor) -> tuple[str, str]:
    quote = schema_editor.connection.ops.quote_name
    reminder = apps.get_model("checkins", "ReminderPreference")._meta.db_table
    contact = apps.get_model("accounts", "ContactPreferences")._meta.db_table
    return quote(reminder), quote(contact)


# Plain SQL both PostgreSQL and SQLite (the embedded demo database) run.


def copy_to_accounts(apps, schema_editor) -> None:
    reminder, contact = _tables(apps, schema_editor)
    columns = ", ".join(COLUMNS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {contact} (user_id, {columns}) "  # noqa: S608 (model table names)
            f"SELECT member_id, {columns} FROM {reminder} "
            f"WHERE NOT EXISTS (SELECT 1 FROM {contact} WHERE user_id = member_id)"
        )


def copy_back(apps, schema_editor) -> None:
    reminder, contact = _tables(apps, schema_editor)
    sets = ", ".join(
        f"{column} = (SELECT {column} FROM {contact} WHERE user_id = {reminder}.member_id)"
        for column in COLUMNS
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {reminder} SET {sets} "  # noqa: S608 (as above)
            f"WHERE member_id IN (SELECT user_id FROM {contact})"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_contact_preferences"),
        ("checkins", "0005_kept_aggregates"),
    ]

    operations = [
        migrations.RunPython(copy_to_accounts, copy_back),
        migrations.RemoveField(model_name="reminderpreference", name="channel_email"),
        migrations.RemoveField(model_name="reminderpreference", name="channel_in_app"),
        migrations.RemoveField(model_name="reminderpreference", name="channel_push"),
        migrations.RemoveField(model_name="reminderpreference", name="quiet_end"),
        migrations.RemoveField(model_name="reminderpreference", name="quiet_start"),
    ]
