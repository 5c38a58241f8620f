"""Check-in contacts logged before 0004 had their way guessed from the tie's usual way (or "in
person" by default), which inflated the in-person share. The check-in never asked how, so
those become "unspecified". A group's contacts stay meetings, as the check-in still logs them.
"""

from django.db import migrations


def forget_guessed_ways(apps, schema_editor):
    Contact = apps.get_model("network", "Contact")
    Contact.objects.filter(source="checkin", tie__isnull=False).exclude(tie__role="group").update(
        method="unspecified"
    )


class Migration(migrations.Migration):
    dependencies = [("network", "0004_contact_method_unspecified")]

    # Going back keeps "unspecified": the guesses can't be (and shouldn't be) restored.
    operations = [migrations.RunPython(forget_guessed_ways, migrations.RunPython.noop)]
