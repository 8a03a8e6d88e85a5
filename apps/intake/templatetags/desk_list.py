"""{% desk_result_list cl %}: the desk's table, as the admin's {% result_list %} draws it.

The admin renders each cell through `lookup_field` and `display_for_value`, which for fifty
rows of six method columns cost more than the rows' own content. The desk's columns are
ModelAdmin methods that return finished HTML (or plain text, escaped here), so each is called
directly, and the row's checkbox is written out (the admin renders a form widget's template for
each); the headers and the table's markup stay the admin's, for its stylesheet and its actions
script.
"""

from django import template
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import result_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("admin/intake/clipping/desk_results.html")
def desk_result_list(cl):
    admin = cl.model_admin
    columns = [
        ("action-checkbox", _checkbox)
        if name == "action_checkbox"
        else (f"field-{name}", getattr(admin, name))
        for name in cl.list_display
    ]
    rows = [[(css, cell(clipping)) for css, cell in columns] for clipping in cl.result_list]
    return {"cl": cl, "result_headers": list(result_headers(cl)), "rows": rows}


def _checkbox(clipping):
    # The markup of ModelAdmin.action_checkbox, without a form widget's template per row.
    return format_html(
        '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
        ACTION_CHECKBOX_NAME,
        clipping.pk,
        _("Select this object for an action - {}").format(clipping),
    )
