"""The three-way merge that upgrades a tenant's app to a new template version: properties over
generated documents (hypothesis), and the cases a merchant meets."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runtime.components  # noqa: F401  registers the component library the documents use
from runtime.document import validate_document
from templates_library.merge import three_way_merge

WORDS = st.text(alphabet="abcdefghij ", min_size=1, max_size=12).map(str.strip).filter(bool)
SECTIONS = st.one_of(
    st.builds(lambda text, align: {"type": "title", "settings": {"text": text, "align": align}},
              WORDS, st.sampled_from(["left", "center"])),
    st.builds(lambda text, scroll: {"type": "notice_bar", "settings": {"text": text, "scroll": scroll}},
              WORDS, st.booleans()),
    st.builds(lambda height: {"type": "spacer", "settings": {"height": height}}, st.integers(4, 120)),
)
IDS = st.sampled_from([f"s{i}" for i in range(8)])


@st.composite
def documents(draw):
    pages = {}
    for page_id in draw(st.lists(st.sampled_from(["home", "about", "menu"]), min_size=1, max_size=3, unique=True)
                        .map(lambda ids: ["home"] + [i for i in ids if i != "home"])):
        sections = draw(st.dictionaries(IDS, SECTIONS, max_size=5))
        order = draw(st.permutations(list(sections)))
        pages[page_id] = {"title": draw(WORDS), "sections": sections, "order": list(order)}
    tabbar = [{"page": page_id, "label": page_id[:8], "icon": "home"} for page_id in pages][: draw(st.integers(0, 3))]
    return validate_document({"schema_version": 1, "app": {"name": draw(WORDS), "tabbar": tabbar,
                                                           "template": {"slug": "shop", "version": "1.0.0"}},
                              "pages": pages})


@st.composite
def edited(draw, base):
    """A document derived from `base` by a few random edits (what a merchant or a template
    author does): change settings, titles, add and delete sections and pages, reorder."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 4))):
        page = doc["pages"][draw(st.sampled_from(sorted(doc["pages"])))]
        action = draw(st.sampled_from(["setting", "title", "add", "delete", "reorder", "page"]))
        if action == "setting" and page["sections"]:
            sid = draw(st.sampled_from(sorted(page["sections"])))
            page["sections"][sid] = draw(SECTIONS)  # other settings, or another component
        elif action == "title":
            page["title"] = draw(WORDS)
        elif action == "add":
            sid = draw(IDS)
            if sid not in page["sections"]:
                page["sections"][sid] = draw(SECTIONS)
                page["order"].insert(draw(st.integers(0, len(page["order"]))), sid)
        elif action == "delete" and page["sections"]:
            sid = draw(st.sampled_from(sorted(page["sections"])))
            del page["sections"][sid]
            page["order"].remove(sid)
        elif action == "reorder":
            page["order"] = list(draw(st.permutations(page["order"])))
        elif action == "page" and "menu" not in doc["pages"]:
            doc["pages"]["menu"] = {"title": "Menu", "sections": {}, "order": []}
    return validate_document(doc)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.data())
def test_with_no_template_change_the_draft_is_returned_unchanged(data):
    base = data.draw(documents())
    mine = data.draw(edited(base))
    result = three_way_merge(base, base, mine)
    assert result.document == mine and result.conflicts == []


@PROPERTY
@given(st.data())
def test_with_no_merchant_change_the_new_template_is_returned(data):
    base = data.draw(documents())
    theirs = data.draw(edited(base))
    result = three_way_merge(base, theirs, base)
    assert result.document == theirs and result.conflicts == []


@PROPERTY
@given(st.data())
def test_the_result_always_validates(data):
    base = data.draw(documents())
    theirs, mine = data.draw(edited(base)), data.draw(edited(base))
    result = three_way_merge(base, theirs, mine)
    assert validate_document(result.document) == result.document


def _doc(sections: dict, order: list, title: str = "Home") -> dict:
    return validate_document({"schema_version": 1, "app": {"name": "Shop", "template": {"slug": "shop",
                                                                                       "version": "1.0.0"}},
                              "pages": {"home": {"title": title, "sections": sections, "order": order}}})


def title(text):
    return {"type": "title", "settings": {"text": text}}


def test_edits_on_both_sides_are_kept_and_clashes_listed():
    base = _doc({"a": title("Hello"), "b": title("Menu")}, ["a", "b"])
    theirs = _doc({"a": title("Hello"), "b": title("Our menu"), "c": title("New")}, ["a", "c", "b"])
    mine = _doc({"a": title("Welcome"), "b": title("Dishes")}, ["b", "a"])
    result = three_way_merge(base, theirs, mine)
    sections = result.document["pages"]["home"]["sections"]
    assert sections["a"]["settings"]["text"] == "Welcome"  # only the merchant changed it
    assert sections["b"]["settings"]["text"] == "Dishes"  # both changed it: the merchant's is kept
    assert sections["c"]["settings"]["text"] == "New"  # the template's new section arrives
    assert result.document["pages"]["home"]["order"] == ["b", "a", "c"]  # after its neighbour "a"
    assert {c["path"] for c in result.conflicts} == {"pages.home.sections.b.settings.text"}


def test_a_section_the_merchant_deleted_stays_deleted_unless_the_template_changed_it():
    base = _doc({"a": title("Hello"), "b": title("Menu")}, ["a", "b"])
    mine = _doc({"a": title("Hello")}, ["a"])
    untouched = three_way_merge(base, _doc({"a": title("Hi"), "b": title("Menu")}, ["a", "b"]), mine)
    assert list(untouched.document["pages"]["home"]["sections"]) == ["a"] and untouched.conflicts == []
    changed = three_way_merge(base, _doc({"a": title("Hello"), "b": title("Menu!")}, ["a", "b"]), mine)
    assert "b" not in changed.document["pages"]["home"]["sections"]
    assert [c["path"] for c in changed.conflicts] == ["pages.home.sections.b"]


@pytest.mark.parametrize("template_version", ["1.1.0"])
def test_the_template_reference_follows_the_new_version(template_version):
    base = _doc({}, [])
    theirs = copy.deepcopy(base)
    theirs["app"]["template"]["version"] = template_version
    assert three_way_merge(base, validate_document(theirs), base).document["app"]["template"]["version"] == \
        template_version
