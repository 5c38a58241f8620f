"""Notification, Delivery, Mute and PushSubscription now belong to the notifications app.

State only: the tables stay where they are, under their old names, now owned there.
"""


from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('nudges', '0004_sos_alert'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='mute',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='notification',
                    name='recipient',
                ),
                migrations.RemoveField(
                    model_name='notification',
                    name='subject_member',
                ),
                migrations.RemoveField(
                    model_name='pushsubscription',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Delivery',
                ),
                migrations.DeleteModel(
                    name='Mute',
                ),
                migrations.DeleteModel(
                    name='Notification',
                ),
                migrations.DeleteModel(
                    name='PushSubscription',
                ),
            ],
        ),
    ]
