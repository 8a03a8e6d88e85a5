"""{% desk_result_list cl %}: the desk's table, as the admin's {% result_list %} draws it.

The admin renders each cell through `lookup_field` and `display_for_value`, which for fifty
rows of six method columns cost more than the rows' own content. The desk's columns are
ModelAdmin methods that return finished HTML (or plain text, escaped here), so each is called
directly; the headers, the checkboxes and the table's markup stay the admin's, for its
stylesheet and its actions script.
"""

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers

register = template.Library()


@register.inclusion_tag("admin/intake/clipping/desk_results.html")
def desk_result_list(cl):
    admin = cl.model_admin
    columns = [
        ("action-checkbox", admin.action_checkbox)
        if name == "action_checkbox"
        else (f"field-{name}", getattr(admin, name))
        for name in cl.list_display
    ]
    rows = [[(css, cell(clipping)) for css, cell in columns] for clipping in cl.result_list]
    return {"cl": cl, "result_headers": list(result_headers(cl)), "rows": rows}
