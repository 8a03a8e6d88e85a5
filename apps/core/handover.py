"""How work reaches the worker: once, and only if the transaction that caused it commits."""

from functools import partial

from django.db import transaction
from django_tasks_db.backend import DatabaseBackend


def hand_over(task, *args) -> None:
    """Give `task(*args)` to the worker when the current transaction commits.

    With the database backend the task is a row written in that very transaction: it exists
    exactly when the transaction commits, and a crash can never keep one without the other.
    A backend outside the database (RQ) is handed the task once the commit is done.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args)
    else:
        transaction.on_commit(partial(task.enqueue, *args), robust=True)
