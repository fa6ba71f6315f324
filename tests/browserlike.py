"""Read a rendered form's fields the way a browser submits them, for tests that post a page's
form back unchanged (no browser needed)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# What the HTML standard's value sanitisation keeps of these input types; anything else the
# browser empties (https://html.spec.whatwg.org/#input-type-attr-summary).
SANITISED = {
    "date": re.compile(r"\d{4,}-\d{2}-\d{2}"),
    "datetime-local": re.compile(r"\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
    "month": re.compile(r"\d{4,}-\d{2}"),
}


class _FormReader(HTMLParser):
    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.found = False
        self.data: dict[str, list[str]] = {}
        self.raw: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("action") == self.action:
            self.inside = self.found = True
        if not self.inside:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            # A checked box without a value attribute is sent as "on".
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            self.raw[name] = value
            pattern = SANITISED.get(kind)
            if pattern is not None and not pattern.fullmatch(value):
                value = ""
            self.data.setdefault(name, []).append(value)
        elif tag == "select" and name:
            self._select, self._first_option, self._selected = name, None, False
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a and not self._selected:
                self._selected = True
                self.data.setdefault(self._select, []).append(value)
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            if not self._selected and self._first_option is not None:
                self.data.setdefault(self._select, []).append(self._first_option)
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_as_submitted(html: str, action: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The fields of the form posting to ``action``, as a browser would send them untouched
    (values a typed input rejects are emptied), and the inputs' raw ``value`` attributes."""
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.found, f"no form posts to {action}"
    return reader.data, reader.raw
