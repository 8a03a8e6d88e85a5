"""The table of articles whose documents must be made again, and the triggers that fill it.

The triggers are installed here too (and again after every `migrate`), so that a database
migrated without the `migrate` command (tests/test_migrations.py) marks changes at once; going
back drops them before their table goes.
"""

from django.db import migrations, models


def install(apps, schema_editor):
    from apps.search.marks import install_triggers

    install_triggers(schema_editor.connection.alias)


def drop(apps, schema_editor):
    from apps.search.marks import drop_triggers

    drop_triggers(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_corrections"),
        ("search", "0006_search_vectors_inline"),
    ]

    operations = [
        migrations.CreateModel(
            name="StaleDocument",
            fields=[
                (
                    "article_id",
                    models.BigIntegerField(primary_key=True, serialize=False, verbose_name="文章"),
                ),
                ("changes", models.PositiveIntegerField(default=1, verbose_name="变更次数")),
            ],
            options={
                "verbose_name": "待重新索引的文章",
                "verbose_name_plural": "待重新索引的文章",
                "db_table": "search_pending",
            },
        ),
        migrations.RunPython(install, drop),
    ]
