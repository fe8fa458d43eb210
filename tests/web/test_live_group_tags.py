"""The group region's people and meeting place (convenor.live.templatetags.live_groups)."""

import uuid

from django.template import Context, Template

from convenor.live.views import GroupView, PersonRow, Place

PAGE = Template(
    '{% load live_groups %}<ul>{% group_people group "Nobody yet." %}</ul>'
    "<p>{% meeting_place group.place %}</p>"
)


def person(name: str, pronouns: str = "", organisation: str = "", sector: str = "") -> PersonRow:
    return PersonRow(uuid.uuid4(), name, pronouns, organisation, sector)


def test_people_and_place_with_every_field() -> None:
    ada = person("Ada", "she/her", "Council", "Local government")
    bo = person("Bo")
    group = GroupView(3, [ada, bo], Place("https://meet.example.org/abc", 7))
    html = PAGE.render(Context({"group": group}))
    assert (
        f'<li data-person="{ada.pk}"><strong>Ada</strong> (she/her)<br>Council · '
        "Local government</li>\n"
        f'<li data-person="{bo.pk}"><strong>Bo</strong><br>No organisation given</li>'
    ) in html
    assert "Nobody yet." not in html
    assert '<a class="button" href="https://meet.example.org/abc" target="_blank"' in html
    assert '<span class="live-table">Table 7</span>' in html


def test_someone_alone_is_told_and_a_table_alone_has_no_link() -> None:
    group = GroupView(1, [person("Cy")], Place("", 4), alone=True)
    html = PAGE.render(Context({"group": group}))
    assert html.count("<li") == 2 and "<li>Nobody yet.</li>" in html
    assert "<a " not in html and "Table 4" in html


def test_what_people_typed_is_never_markup() -> None:
    sly = person('<img src=x onerror="alert(1)">', "<b>", "A & B <i>", '"quoted"')
    place = Place('https://meet.example.org/"><script>alert(1)</script>', None)
    html = PAGE.render(Context({"group": GroupView(2, [sly], place)}))
    assert "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "<script>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "A &amp; B &lt;i&gt;" in html and "&quot;quoted&quot;" in html
