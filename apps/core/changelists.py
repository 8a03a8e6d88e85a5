"""Admin lists whose date filters answer an impossible date like any other invalid filter."""

from datetime import datetime, time

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateTimeField
from django.db.models.constants import LOOKUP_SEP
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

# Lookups that compare a datetime column with the value as it is given.
COMPARISONS = {"exact", "gt", "gte", "lt", "lte"}


class BoundedChangeList(ChangeList):
    """A changelist that turns dates at the edges of the calendar into "invalid filter".

    Django's admin finds the end of a date_hierarchy range by adding a day, a month or a year
    to the date asked for, and SQLite shifts every datetime to UTC before comparing: at
    9999-12-31, in year 9999 or on 0001-01-01 either leaves the range of Python's datetime
    (OverflowError or ValueError, an HTTP 500). Such a date is as wrong as `?year=abc`, so it
    gets Django's answer to that: the list again, marked invalid (`?e=1`).

    A date typed into a datetime filter without a time zone (`?at__gte=2024-05-01`) means that
    day here, in settings.TIME_ZONE, said explicitly: Django would assume the same but warn
    about a naive datetime on every such request.
    """

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for key, values in lookup_params.items():
            if _compares_a_datetime(self.model, key):
                lookup_params[key] = [_in_local_time(value) for value in values]
        return lookup_params

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:  # only the query's values compute here
            raise IncorrectLookupParameters(error) from error

    def get_results(self, request):
        try:
            super().get_results(request)
        except OverflowError as error:  # SQLite converting a datetime near 0001-01-01 to UTC
            raise IncorrectLookupParameters(error) from error


class BoundedChangeListMixin:
    """Give a ModelAdmin the BoundedChangeList; put it before admin.ModelAdmin in the bases."""

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList


def _compares_a_datetime(model, key) -> bool:
    """Whether the filter `key` (`at`, `at__gte`, `issue__published_at__lt`) compares a
    DateTimeField with its value as given (not through a transform such as `__date`)."""
    path, _, lookup = key.rpartition(LOOKUP_SEP)
    if lookup not in COMPARISONS:
        path = key
    try:
        field = get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return False
    return isinstance(field, DateTimeField)


def _in_local_time(value):
    """`value` with the current time zone when it is a date or datetime without one."""
    try:
        moment = parse_datetime(value)
        day = parse_date(value) if moment is None else None
    except ValueError:  # well formed but impossible (2024-02-30): the filter says so
        return value
    if day is not None:
        moment = datetime.combine(day, time())
    if moment is None or timezone.is_aware(moment):
        return value
    return timezone.make_aware(moment).isoformat()
