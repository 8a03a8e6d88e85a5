"""Record the files that existing issues and articles use (covers, images in rich text).

Without these rows the media view would serve the images of existing content to staff only.
`manage.py record_image_uses` does the same at any later time.
"""

from django.db import migrations

from apps.uploads.files import files_of_article, files_of_issue


def record_existing_uses(apps, schema_editor):
    issue_model = apps.get_model("issues", "Issue")
    article_model = apps.get_model("articles", "Article")
    image_use = apps.get_model("uploads", "ImageUse")
    rows = []
    for issue in issue_model.objects.only("pk", "cover", "editor_note").iterator():
        files = files_of_issue(cover=issue.cover.name or "", editor_note=issue.editor_note)
        rows += [image_use(path=path, issue_id=issue.pk) for path in sorted(files)]
    for article in article_model.objects.only("pk", "body").iterator():
        files = files_of_article(body=article.body)
        rows += [image_use(path=path, article_id=article.pk) for path in sorted(files)]
    image_use.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("uploads", "0001_initial")]

    operations = [migrations.RunPython(record_existing_uses, migrations.RunPython.noop)]
