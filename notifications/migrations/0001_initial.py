"""The notifications app takes over four models from nudges, with their tables and data.

State only: the tables (``nudges_notification``, ``nudges_delivery``, ``nudges_mute``,
``nudges_pushsubscription``) keep their names (each model sets ``db_table``), and their indexes
and constraints keep theirs. The content types move too, so permissions granted to staff and
the admin's history stay attached to the same models.
"""


import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


MOVED = ["notification", "delivery", "mute", "pushsubscription"]


def move_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label="notifications", model=model).exists():
            content_type.objects.filter(app_label="nudges", model=model).update(
                app_label="notifications"
            )


def return_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label="nudges", model=model).exists():
            content_type.objects.filter(app_label="notifications", model=model).update(
                app_label="nudges"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables exist already: the nudges app created them.
        ('nudges', '0004_sos_alert'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('kind', models.CharField(choices=[('checkin_reminder', 'Check-in reminder'), ('isolation_prompt', 'Reach-out prompt'), ('sos', 'SOS alert'), ('supporter_nudge', 'Supporter nudge'), ('therapist_digest', 'Therapist weekly digest'), ('celebration', 'Celebration'), ('encouragement', 'Encouragement'), ('network', 'Network update'), ('consent', 'Consent reminder')], max_length=24)),
                        ('idempotency_key', models.CharField(max_length=200)),
                        ('title', models.CharField(max_length=140)),
                        ('body', models.TextField(max_length=1000)),
                        ('action_url', models.CharField(blank=True, max_length=300)),
                        ('data', models.JSONField(blank=True, default=dict)),
                        ('due_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('local_date', models.DateField(blank=True, null=True)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed')], default='pending', max_length=10)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('response', models.CharField(blank=True, max_length=16)),
                        ('responded_at', models.DateTimeField(blank=True, null=True)),
                        ('recipient', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                        ('subject_member', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications_about', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'nudges_notification',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Delivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('inapp', 'In-app inbox'), ('email', 'Email'), ('push', 'Web push')], max_length=8)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('failed', 'Failed'), ('skipped', 'Skipped')], default='pending', max_length=8)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('not_before', models.DateTimeField(default=django.utils.timezone.now)),
                        ('queued_at', models.DateTimeField(blank=True, null=True)),
                        ('lease_until', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.CharField(blank=True, max_length=300)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('notification', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='notifications.notification')),
                    ],
                    options={
                        'db_table': 'nudges_delivery',
                    },
                ),
                migrations.CreateModel(
                    name='PushSubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('endpoint', models.URLField(max_length=500, unique=True)),
                        ('p256dh', models.CharField(max_length=200)),
                        ('auth', models.CharField(max_length=100)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='push_subscriptions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'nudges_pushsubscription',
                    },
                ),
                migrations.CreateModel(
                    name='Mute',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('checkin_reminder', 'Check-in reminder'), ('isolation_prompt', 'Reach-out prompt'), ('sos', 'SOS alert'), ('supporter_nudge', 'Supporter nudge'), ('therapist_digest', 'Therapist weekly digest'), ('celebration', 'Celebration'), ('encouragement', 'Encouragement'), ('network', 'Network update'), ('consent', 'Consent reminder')], max_length=24)),
                        ('channel', models.CharField(choices=[('all', 'Every channel'), ('inapp', 'In-app inbox'), ('email', 'Email'), ('push', 'Web push')], default='all', max_length=8)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='nudge_mutes', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'nudges_mute',
                        'constraints': [models.UniqueConstraint(fields=('user', 'kind', 'channel'), name='nudges_one_mute')],
                    },
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['recipient', '-created_at'], name='nudges_noti_recipie_53d535_idx'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['recipient', 'local_date'], name='nudges_notif_recipient_day'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['subject_member', 'kind', 'recipient', '-created_at'], name='nudges_notif_subject_kind'),
                ),
                migrations.AddConstraint(
                    model_name='notification',
                    constraint=models.UniqueConstraint(fields=('idempotency_key',), name='nudges_notification_key'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(condition=models.Q(('status', 'pending')), fields=['not_before'], name='nudges_delivery_pending'),
                ),
                migrations.AddConstraint(
                    model_name='delivery',
                    constraint=models.UniqueConstraint(fields=('notification', 'channel'), name='nudges_one_delivery_per_channel'),
                ),
            ],
        ),
        migrations.RunPython(move_content_types, return_content_types),
    ]
