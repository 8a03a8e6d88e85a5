from django.contrib import admin
from django_tasks_db.models import DBTaskResult

# django-tasks-db's own page lists the queue with each task's arguments: a queued e-mail's
# whole text, password-reset links included, under English labels. The page shows
# its mail's progress (apps.workflow.admin.issues); operators read the queue in the database.
admin.site.unregister(DBTaskResult)
