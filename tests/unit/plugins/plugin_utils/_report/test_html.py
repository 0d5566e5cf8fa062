"""The report as one self-contained HTML page, read back with an HTML parser."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from unit.utils.report_fleet import (
    EXPECTED_STATUS,
    GENERATED,
    fleet_results,
    small_fleet,
)

from ansible_collections.volume_activation.kms.plugins.plugin_utils._report import _model as model
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._html import HOST_COLUMNS, render_html
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import unreachable_message
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import STATUS_GUIDE, Status


class _Page(HTMLParser):
    """Collects tags, attributes, SVG bar texts per chart, and the host table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.charts: dict[str, list[str]] = {}
        self.cells: list[list[str]] = []
        self._caption: str | None = None
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)
        self._in.append(tag)
        if tag == "tr":
            self.cells.append([])
        elif tag in ("td", "th") and self.cells:
            self.cells[-1].append("")

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        if "figcaption" in self._in:
            self._caption = data
            self.charts[data] = []
        elif "text" in self._in and "svg" in self._in:
            self.charts[self._caption].append(data)
        elif ("td" in self._in or "th" in self._in) and self.cells:
            self.cells[-1][-1] += data


def _host_rows(page: _Page) -> dict[str, list[str]]:
    """Host table rows by host name: the cells of the host's row, then its message row's text."""
    host_rows: dict[str, list[str]] = {}
    current: list[str] | None = None
    for cells in page.cells[page.cells.index(_host_header(page)) + 1 :]:
        if len(cells) == len(HOST_COLUMNS):
            current = host_rows.setdefault(cells[0], list(cells))
        elif len(cells) == 1 and current is not None:
            current.append(cells[0])
    return host_rows


def _host_header(page: _Page) -> list[str]:
    return next(cells for cells in page.cells if cells[:4] == ["Host", "Status", "Edition", "Build"])


def _page(report: dict) -> _Page:
    page = _Page()
    page.feed(render_html(report))
    page.close()
    return page


def _pairs(texts: list[str]) -> dict[str, int]:
    return {name: int(count) for name, count in zip(texts[::2], texts[1::2], strict=False)}


def test_html_charts_show_the_counts_as_text(report):
    page = _page(report)
    assert _pairs(page.charts["Hosts by status"]) == dict(Counter(EXPECTED_STATUS.values()))
    assert _pairs(page.charts["Key type before"]) == report["key_types"]["before"]
    assert "Key type after" not in page.charts
    applied = _page(model.build_report(fleet_results(), "apply", GENERATED))
    assert _pairs(applied.charts["Key type after"]) == report["key_types"]["after"]


def test_html_host_table(report):
    page = _page(report)
    header = _host_header(page)
    assert header == list(HOST_COLUMNS)
    rows = _host_rows(page)
    assert {host: cells[1] for host, cells in rows.items()} == EXPECTED_STATUS
    message = unreachable_message(fleet_results()["srv-down"]["msg"])
    assert rows["srv-down"][len(HOST_COLUMNS)] == model.short_message(message) + message


def test_html_is_self_contained(report):
    html = render_html(report)
    page = _page(report)
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(page.tags)
    assert not [value for name, value in page.attributes if name in ("src", "href")]
    assert "url(" not in html and "@import" not in html
    assert page.tags.count("svg") == 3


def test_html_escapes_everything_from_hosts():
    hostile = "<script>alert(1)</script>"
    status = 'x" onmouseover="alert(2)'
    report = model.build_report(
        {hostile: {"status": "failed", "msg": "<img src=x onerror=alert(3)>"}, "h2": {"status": status, "msg": "ok"}},
        "check",
        GENERATED,
    )
    html = render_html(report)
    page = _page(report)
    assert "script" not in page.tags and "img" not in page.tags
    assert not [name for name, _value in page.attributes if name.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    rows = _host_rows(page)
    assert rows[hostile][len(HOST_COLUMNS)] == "<img src=x onerror=alert(3)>"
    assert rows["h2"][1] == status


def test_html_marks_status_with_text_and_colour(report):
    html = render_html(report)
    for status in set(EXPECTED_STATUS.values()):
        assert re.search(rf'<span class="badge" style="[^"]+">{status}</span>', html)


def test_html_opens_with_the_hosts_that_need_attention_and_ends_with_the_legend() -> None:
    report = model.build_report(small_fleet(), "apply", GENERATED)
    html = render_html(report)
    assert html.index("Needs attention (4)") < html.index("<h2>Summary</h2>") < html.index("<h2>Legend</h2>")
    assert STATUS_GUIDE[Status.UNREACHABLE].todo.replace("'", "&#x27;") in html


def _result(status: str, key_type: tuple[str | None, str | None], **extra) -> dict:
    licensed = {"before": "licensed", "after": "licensed"}
    return (
        {"status": status, "msg": f"{status}.", "key_type": dict(zip(("before", "after"), key_type, strict=True))}
        | {"license_status": licensed}
        | extra
    )


PEOPLE_FLEET = {
    "kms-a": _result("compliant", ("gvlk", "gvlk"), activation_route="kms", grace_period_remaining=180 * 24 * 60),
    "kms-b": _result("converted", ("mak", "gvlk"), activation_route="adba", time="2025-06-25T14:00:00Z"),
    "mak-c": _result("kms_unreachable", ("mak", "mak"), grace_period_remaining=0),
    "new-d": _result(
        "converted",
        ("none", "gvlk"),
        partial_product_key={"before": None, "after": "VCFB2"},
        license_status={"before": "unlicensed", "after": "oob_grace"},
        grace_period_remaining=30 * 24 * 60,
        time="2025-06-25T14:00:00Z",
    ),
    "down-e": {"unreachable": True, "msg": "connection refused"},
}


def _people_page(title: str | None = None) -> tuple[str, _Page, dict]:
    report = model.report_from_rows(
        [model.host_row(host, result) for host, result in PEOPLE_FLEET.items()], "apply", GENERATED, title
    )
    return render_html(report), _page(report), report


def test_the_page_opens_with_the_title_and_the_share_of_kms_clients():
    html, _dom, report = _people_page("Contoso branch offices")
    assert report["headline"] == {
        "hosts": 5,
        "kms_clients": 3,
        "activated": 3,
        "attention": 2,
        "changing": 2,
        "not_read": 1,
    }
    assert "<title>Contoso branch offices (apply)" in html
    assert html.index("<h1>Contoso branch offices</h1>") < html.index(
        '<p class="headline">3 of 5 hosts are KMS clients.'
    )
    assert html.index('<ul class="tiles">') < html.index("Needs attention (2)")
    assert '<li class="tile attention"><strong>2</strong> need attention</li>' in html
    assert '<li class="tile unread"><strong>1</strong> not reached</li>' in html
    assert _people_page()[2]["title"] == model.DEFAULT_TITLE


def test_a_hostile_title_is_one_escaped_bounded_line():
    html, page, report = _people_page("<b>fleet</b>\n\x1b[2J" + "x" * 500)
    assert "b" not in page.tags and "\x1b" not in html
    assert len(report["title"]) <= model.TITLE_LIMIT and report["title"].startswith("<b>fleet</b> ")


def test_every_chart_counts_every_host():
    _html, page, _report = _people_page()
    for caption in ("Hosts by status", "Key type before", "Key type after", "Activation method"):
        assert sum(_pairs(page.charts[caption]).values()) == len(PEOPLE_FLEET), caption
    assert _pairs(page.charts["Key type before"])[model.NOT_READ] == 1
    assert _pairs(page.charts["Activation method"]) == {
        "KMS": 1,
        "Active Directory": 1,
        "MAK": 1,
        "not activated": 1,
        model.NOT_READ: 1,
    }


def test_the_host_table_says_activation_expiry_and_observation_in_words():
    html, page, _report = _people_page()
    rows = {host: dict(zip(HOST_COLUMNS, cells, strict=False)) for host, cells in _host_rows(page).items()}
    assert rows["new-d"]["Partial key"] == "no key \N{RIGHTWARDS ARROW} VCFB2"
    assert rows["new-d"]["Activation"] == "not activated"
    assert rows["new-d"]["Valid until"] == "2025-07-25grace period ends"
    assert rows["kms-b"]["Activation"] == "Active Directory" and rows["kms-b"]["Valid until"] == ""
    assert rows["mak-c"]["Activation"] == "MAK" and rows["mak-c"]["Valid until"] == "no expiry"
    assert rows["kms-b"]["Observed"] == "2025-06-25 14:00 UTCthis run"
    assert "? \N{RIGHTWARDS ARROW}" not in html and "the none key" not in html


def test_long_messages_show_their_first_sentence_and_the_rest_on_demand():
    message = "The key was not replaced: the KMS host does not answer. " + "Details follow. " * 30
    report = model.build_report({"a": {"status": "kms_unreachable", "msg": message}}, "check", GENERATED)
    html = render_html(report)
    short = "The key was not replaced: the KMS host does not answer."
    assert f'<td class="msg"><details><summary>{short}</summary><p>{message}</p></details></td>' in html
    assert '<td class="msg"><details>' not in render_html(
        model.build_report({"a": {"status": "failed", "msg": short}}, "check", GENERATED)
    )


def test_earlier_rows_say_how_old_they_are():
    earlier = dict(model.host_row("old", _result("compliant", ("gvlk", "gvlk"), time="2025-06-20T09:00:00Z")))
    report = model.report_from_rows([earlier | {"in_run": False, "age_days": 5}], "check", GENERATED)
    page = _page(report)
    assert (
        _host_rows(page)["old"][HOST_COLUMNS.index("Observed")] == "2025-06-20 09:00 UTCan earlier run, 5 days before"
    )
    assert "as an earlier run left them" in render_html(report)
