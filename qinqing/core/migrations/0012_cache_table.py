"""The database cache's table (settings.CACHES without REDIS_URL: `qq_cache`).

Django makes it only with `createcachetable`, which the test runner calls and nothing else did:
a fresh install had no table, and the first page reading the cache (progress lookups, the
signed report's signer list, the figures of a closed period) answered 500."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0011_signing_certificates")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
