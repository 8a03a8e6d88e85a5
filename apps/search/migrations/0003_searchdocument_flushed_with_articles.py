# The table stays as migration 0001 made it; only Django now includes it in a flush.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0002_searchdocument'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='searchdocument',
            options={},
        ),
    ]
