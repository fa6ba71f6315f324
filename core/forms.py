"""Form helpers shared by the apps."""

from __future__ import annotations

from typing import Any


class OnlySentFieldsMixin:
    """An edit form that changes only the fields the request sent. A ModelForm sets a field
    missing from the POST to empty, so an out-of-date page, a script or a hand-made request
    that leaves a field out would blank it. A required field stays and reports itself missing;
    a checkbox is the exception: a browser sends nothing for an unticked box, so its absence
    means "off" (each widget says which it is)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form: Any = self
        if not form.is_bound:
            return
        for name in list(form.fields):
            field = form.fields[name]
            if field.required:
                continue
            if field.widget.value_omitted_from_data(form.data, form.files, form.add_prefix(name)):
                del form.fields[name]
