"""The access log gets a position in a per-member chain; filled in by the next migration."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("network", "0006_consent_end_recipient_left")]

    operations = [
        migrations.AddField(
            model_name="disclosureevent",
            name="seq",
            field=models.PositiveIntegerField(null=True),
        ),
    ]
