"""Per-member positions become required and unique; PostgreSQL also refuses TRUNCATE.

Row triggers do not fire on TRUNCATE, so until now ``TRUNCATE network_disclosureevent`` emptied
the log silently. A statement-level trigger refuses it (and a TRUNCATE … CASCADE from a table it
references). The row trigger that refuses UPDATE and DELETE now also guards ``seq``. A table
owner can still disable triggers; the checkpoints kept outside the database (docs/privacy.md)
are what reveal that. Other databases rely on the application's guards.
"""

from django.db import migrations, models

GUARD = """
CREATE OR REPLACE FUNCTION network_disclosure_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'network_disclosureevent is append-only';
    END IF;
    IF (NEW.id, NEW.seq, NEW.member_ref, NEW.member_name, NEW.viewer_ref, NEW.viewer_name,
        NEW.consent_ref, NEW.scope, NEW.action, NEW.occurred_at, NEW.prev_hash, NEW.hash)
       IS DISTINCT FROM
       (OLD.id, OLD.seq, OLD.member_ref, OLD.member_name, OLD.viewer_ref, OLD.viewer_name,
        OLD.consent_ref, OLD.scope, OLD.action, OLD.occurred_at, OLD.prev_hash, OLD.hash)
       OR (NEW.member_id IS NOT NULL AND NEW.member_id IS DISTINCT FROM OLD.member_id)
       OR (NEW.viewer_id IS NOT NULL AND NEW.viewer_id IS DISTINCT FROM OLD.viewer_id)
       OR (NEW.consent_id IS NOT NULL AND NEW.consent_id IS DISTINCT FROM OLD.consent_id)
    THEN
        RAISE EXCEPTION 'network_disclosureevent is append-only';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION network_disclosure_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'network_disclosureevent is append-only: TRUNCATE refused';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER network_disclosure_no_truncate
BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION network_disclosure_no_truncate();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS network_disclosure_no_truncate ON {table};
DROP FUNCTION IF EXISTS network_disclosure_no_truncate();
"""


def _table(apps, schema_editor) -> str:
    model = apps.get_model("network", "DisclosureEvent")
    return schema_editor.quote_name(model._meta.db_table)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD.replace("{table}", _table(apps, schema_editor)))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD.replace("{table}", _table(apps, schema_editor)))


class Migration(migrations.Migration):
    dependencies = [("network", "0008_access_log_per_member_chains")]

    operations = [
        migrations.AlterField(
            model_name="disclosureevent",
            name="seq",
            field=models.PositiveIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="disclosureevent",
            constraint=models.UniqueConstraint(
                fields=("member_ref", "seq"), name="network_disclosure_one_seq_per_chain"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
