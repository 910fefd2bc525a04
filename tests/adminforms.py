"""Posting Django admin forms from tests, as a browser would: the data a change page's form carries."""

from django.forms import CheckboxInput, MultiWidget, SelectMultiple


def _encoded(bound_field) -> list[tuple[str, object]]:
    value = bound_field.value()
    widget = bound_field.field.widget
    if isinstance(widget, CheckboxInput):
        return [(bound_field.html_name, "on")] if value else []
    if isinstance(widget, MultiWidget):  # a date and a time, say: one input per part
        parts = value if isinstance(value, list | tuple) else widget.decompress(value)
        return [(bound_field.html_name + suffix, sub.format_value(part) or "")
                for suffix, sub, part in zip(widget.widgets_names, widget.widgets, parts, strict=True)]
    if isinstance(widget, SelectMultiple):
        return [(bound_field.html_name, [str(v) for v in value or []])]
    return [(bound_field.html_name, "" if value is None else value)]


def admin_form_data(response, **changes: object) -> dict[str, object]:
    """The fields of an admin add/change page as the page shows them (inlines and their management forms
    included), with `changes` applied: what pressing Save posts."""
    data: dict[str, object] = {}
    for bound_field in response.context["adminform"].form:
        data.update(_encoded(bound_field))
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        for bound_field in formset.management_form:
            data[bound_field.html_name] = bound_field.value()
        for form in formset.forms:
            for bound_field in form:
                data.update(_encoded(bound_field))
    data.update(changes)
    return data
