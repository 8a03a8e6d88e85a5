"""Admin lists whose date filters answer an impossible date like any other invalid filter."""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


class BoundedChangeList(ChangeList):
    """A changelist that turns dates at the edges of the calendar into "invalid filter".

    Django's admin finds the end of a date_hierarchy range by adding a day, a month or a year
    to the date asked for, and SQLite shifts every datetime to UTC before comparing: at
    9999-12-31, in year 9999 or on 0001-01-01 either leaves the range of Python's datetime
    (OverflowError or ValueError, an HTTP 500). Such a date is as wrong as `?year=abc`, so it
    gets Django's answer to that: the list again, marked invalid (`?e=1`).
    """

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
