"""On PostgreSQL, the database itself refuses to change or delete access-log entries.

The only UPDATE allowed is the one account deletion makes: setting a foreign key to NULL
(the hashed plain values stay, so the chain still verifies). Other databases rely on the
application's guards (the model and its queryset refuse updates and deletes).
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION network_disclosure_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'network_disclosureevent is append-only';
    END IF;
    IF (NEW.id, NEW.member_ref, NEW.member_name, NEW.viewer_ref, NEW.viewer_name,
        NEW.consent_ref, NEW.scope, NEW.action, NEW.occurred_at, NEW.prev_hash, NEW.hash)
       IS DISTINCT FROM
       (OLD.id, OLD.member_ref, OLD.member_name, OLD.viewer_ref, OLD.viewer_name,
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

CREATE TRIGGER network_disclosure_append_only
BEFORE UPDATE OR DELETE ON network_disclosureevent
FOR EACH ROW EXECUTE FUNCTION network_disclosure_append_only();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS network_disclosure_append_only ON network_disclosureevent;
DROP FUNCTION IF EXISTS network_disclosure_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("network", "0002_invitations_consents_access_log")]

    operations = [migrations.RunPython(forwards, backwards)]
