"""Drop indexes that no query needs and every write pays for: the audit log's single-column
index on organisation (audit_org_seq_idx leads with it) and PostgreSQL's LIKE-ready copy of the
unique hash index (the uniqueness stays, as a named constraint); the notifications' single
index on recipient (notif_recipient_read_idx leads with it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_one_time_code'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditentry',
            name='hash',
            field=models.CharField(max_length=64, verbose_name='哈希'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='organisation',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.organisation', verbose_name='所属机构'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='recipient',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='接收用户'),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.UniqueConstraint(fields=('hash',), name='audit_hash_unique'),
        ),
    ]
