"""Structural accessibility facts of the rendered pages, checked with the stdlib HTML parser.

These are the facts a screen reader or keyboard user depends on and that a template change can
silently break: one h1, no skipped heading levels, a labelled control for every input, ids that
exist and are unique, a `<main>` landmark, a page language, charts with a text alternative, and
the CSP rule (no inline style, no inline script).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from checkins.models import CheckIn
from network.consents import consent_record_sharing, consent_sign_part2
from network.models import Role, Scope, Tie
from network.services.contacts import contact_log
from tests.factories import PASSWORD, TherapistFactory

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Control:
    tag: str
    attrs: dict[str, str]
    in_label: bool


@dataclass
class PageFacts(HTMLParser):
    """Collects what the assertions need in one pass over the document."""

    html_lang: str | None = None
    headings: list[int] = field(default_factory=list)
    mains: int = 0
    ids: list[str] = field(default_factory=list)
    label_for: set[str] = field(default_factory=set)
    controls: list[Control] = field(default_factory=list)
    styled: list[str] = field(default_factory=list)
    inline_scripts: list[str] = field(default_factory=list)
    describedby: list[str] = field(default_factory=list)
    svgs: list[dict] = field(default_factory=list)  # outermost, not aria-hidden
    nameless_buttons: int = 0
    helptexts: list[str] = field(default_factory=list)  # their ids ("" when they have none)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._label_depth = 0
        self._svg_depth = 0
        self._svg: dict | None = None
        self._in_title = False
        self._button: dict | None = None

    def handle_starttag(self, tag: str, attrs_list: list) -> None:
        attrs = {k: (v or "") for k, v in attrs_list}
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if "style" in attrs:
            self.styled.append(tag)
        if "helptext" in attrs.get("class", "").split():
            self.helptexts.append(attrs.get("id", ""))
        if attrs.get("aria-describedby"):
            self.describedby.extend(attrs["aria-describedby"].split())
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag == "main":
            self.mains += 1
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.headings.append(int(tag[1]))
        elif tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if attrs.get("type", "text") not in UNLABELLED_TYPES:
                self.controls.append(Control(tag, attrs, self._label_depth > 0))
        elif tag == "script":
            if "src" not in attrs and attrs.get("type") != "application/json":
                self.inline_scripts.append(str(attrs))
        elif tag == "button":
            self._button = {"text": attrs.get("aria-label", "")}
        elif tag == "svg":
            self._svg_depth += 1
            if self._svg_depth == 1 and attrs.get("aria-hidden") != "true":
                self._svg = {"attrs": attrs, "titles": [], "links": []}
                self.svgs.append(self._svg)
        elif tag == "a" and self._svg is not None:
            self._svg["links"].append(attrs)
        elif tag == "title" and self._svg is not None:
            self._in_title = True
            self._svg["titles"].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)
        elif tag == "svg":
            self._svg_depth -= 1
            if self._svg_depth == 0:
                self._svg = None
        elif tag == "title":
            self._in_title = False
        elif tag == "button" and self._button is not None:
            if not self._button["text"].strip():
                self.nameless_buttons += 1
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._in_title and self._svg is not None:
            self._svg["titles"][-1] += data
        if self._button is not None:
            self._button["text"] += data


def problems(html: str) -> list[str]:
    """Every accessibility or CSP problem found in a page, as readable sentences."""
    facts = PageFacts()
    facts.feed(html)
    found = []
    if not facts.html_lang:
        found.append("<html> has no lang")
    if facts.mains != 1:
        found.append(f"{facts.mains} <main> landmarks")
    if facts.headings.count(1) != 1:
        found.append(f"{facts.headings.count(1)} h1 headings")
    for before, after in zip(facts.headings, facts.headings[1:], strict=False):
        if after > before + 1:
            found.append(f"heading level skips from h{before} to h{after}")
    ids = set(facts.ids)
    duplicates = {i for i in facts.ids if facts.ids.count(i) > 1}
    if duplicates:
        found.append(f"duplicate ids {sorted(duplicates)}")
    for control in facts.controls:
        a = control.attrs
        labelled = (
            control.in_label
            or (a.get("id") and a["id"] in facts.label_for)
            or a.get("aria-label", "").strip()
            or (a.get("aria-labelledby") and set(a["aria-labelledby"].split()) <= ids)
        )
        if not labelled:
            found.append(f"unlabelled <{control.tag} name={a.get('name')!r}>")
    for target in facts.describedby:
        if target not in ids:
            found.append(f"aria-describedby points at missing id {target!r}")
    for help_id in facts.helptexts:
        if help_id not in facts.describedby:
            found.append(f"help text {help_id or '(no id)'} not tied to its field")
    if facts.styled:
        found.append(f"style= attributes on {facts.styled}")
    if facts.inline_scripts:
        found.append(f"inline scripts {facts.inline_scripts}")
    if facts.nameless_buttons:
        found.append(f"{facts.nameless_buttons} button(s) without a name")
    for svg in facts.svgs:
        a = svg["attrs"]
        named_by = a.get("aria-labelledby", "").split()
        # A picture is role=img; a picture made of links (the circle) is a group whose
        # every link has a name and a target, since an img's children are hidden.
        if a.get("role") == "group":
            if not svg["links"]:
                found.append("an SVG group without links")
            for link in svg["links"]:
                if not (link.get("aria-label", "").strip() and link.get("href")):
                    found.append("a link in an SVG group without a name or href")
        elif a.get("role") != "img":
            found.append("an SVG figure without role=img (or role=group of links)")
        if not any(t.strip() for t in svg["titles"]):
            found.append("an SVG figure without a <title>")
        if not (a.get("aria-label") or (named_by and set(named_by) <= ids)):
            found.append("an SVG figure without aria-labelledby pointing at its title")
    return found


@dataclass
class Cast:
    member: object
    supporter: object
    therapist: object
    sponsor_tie: Tie
    therapist_tie: Tie
    family_tie: Tie


@pytest.fixture
def cast(make_user) -> Cast:
    """A member a few weeks in, with a sponsor who sees check-ins, a therapist and family."""
    member = make_user("sam@example.org", display_name="Sam")
    supporter = make_user("maria@example.org", display_name="Maria")
    therapist = TherapistFactory(email="rivera@example.org", display_name="Dr. Rivera")
    sponsor_tie = Tie.objects.create(member=member, supporter=supporter, role=Role.SPONSOR)
    consent_record_sharing(
        tie=sponsor_tie,
        scopes=[Scope.CHECKIN_STATUS, Scope.MOOD_CRAVING, Scope.CONTACTS],
        may_nudge=True,
        is_sos_contact=True,
    )
    therapist_tie = Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST)
    consent_sign_part2(
        tie=therapist_tie,
        scopes=[Scope.MOOD_CRAVING],
        purpose="Treatment",
        signature_name="Sam Example",
        expires_at=timezone.now() + timedelta(days=365),
    )
    family_tie = Tie.objects.create(member=member, offline_name="Grandma June", role=Role.FAMILY)
    today = timezone.now().astimezone(member.zone).date()
    for days_ago in range(1, 20):
        CheckIn.objects.create(
            member=member,
            local_date=today - timedelta(days=days_ago),
            mood=2 + days_ago % 3,
            craving=days_ago % 6,
            used=False,
            connectedness=3,
        )
        tie = (sponsor_tie, family_tie, therapist_tie)[days_ago % 3]
        contact_log(
            member=member,
            tie=tie,
            method="call",
            occurred_at=timezone.now() - timedelta(days=days_ago),
        )
    # Today's check-in is a hard one, so the check-in page shows the risk panel.
    CheckIn.objects.create(
        member=member, local_date=today, mood=1, craving=9, used=False, connectedness=1
    )
    return Cast(member, supporter, therapist, sponsor_tie, therapist_tie, family_tie)


def today_of(user):
    return timezone.now().astimezone(user.zone).date()


ANONYMOUS_PAGES = ["home", "crisis", "account_login", "account_signup", "account_reset_password"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_public_pages_are_structurally_accessible(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert problems(response.content.decode()) == []


def member_urls(cast: Cast) -> list[str]:
    tie_pages = [
        reverse("network:tie_edit", args=[cast.sponsor_tie.pk]),
        reverse("network:tie_sharing", args=[cast.sponsor_tie.pk]),
        reverse("network:consent_part2", args=[cast.therapist_tie.pk]),
    ]
    names = [
        "dashboard",
        "account_settings",
        "therapist_application",
        "account_delete",
        "checkins:today",
        "checkins:history",
        "checkins:questionnaires",
        "nudges:preferences",
        "checkins:sobriety",
        "network:home",
        "network:contacts",
        "network:invitations",
        "network:invitation_create",
        "network:consent_history",
        "network:access_log",
        "network:tie_add",
        "network:encouragements",
        "network:supporting",
        "crisis",
        "account_email",
        "account_change_password",
        "mfa_index",
    ]
    extra = [
        reverse("checkins:history") + "?days=365",
        reverse("checkins:questionnaire_take", args=["ucla3"]),
    ]
    return [reverse(n) for n in names] + extra + tie_pages


@pytest.mark.django_db
def test_pages_link_a_favicon_that_exists_and_mark_the_current_section(client, cast):
    html = client.get(reverse("home")).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    assert finders.find("img/favicon.svg")
    client.login(email=cast.member.email, password=PASSWORD)
    html = client.get(reverse("network:contacts")).content.decode()
    current = [line for line in html.splitlines() if 'aria-current="page"' in line]
    assert len(current) == 1
    assert "Contacts" in current[0]


@pytest.mark.django_db
def test_every_member_page_is_structurally_accessible(client, cast):
    client.login(email=cast.member.email, password=PASSWORD)
    report = {}
    for url in member_urls(cast):
        response = client.get(url)
        assert response.status_code == 200, url
        found = problems(response.content.decode())
        if found:
            report[url] = found
    assert report == {}


@pytest.mark.django_db
def test_the_high_risk_check_in_shows_crisis_lines_and_stays_accessible(client, cast):
    client.login(email=cast.member.email, password=PASSWORD)
    html = client.get(reverse("checkins:today")).content.decode()
    assert 'aria-labelledby="risk-heading"' in html
    assert 'href="tel:988"' in html
    assert problems(html) == []


@pytest.mark.django_db
def test_the_ego_network_and_trend_charts_have_text_alternatives(client, cast):
    client.login(email=cast.member.email, password=PASSWORD)
    for url in (reverse("network:home"), reverse("checkins:history")):
        facts = PageFacts()
        facts.feed(client.get(url).content.decode())
        assert facts.svgs, f"no chart drawn on {url}"
        for svg in facts.svgs:
            # Charts are pictures; the circle is a group of links to each person.
            assert svg["attrs"]["role"] == (
                "group" if "ego-svg" in svg["attrs"]["class"] else "img"
            )
            assert any(t.strip() for t in svg["titles"])
        assert problems(client.get(url).content.decode()) == [], url


@pytest.mark.django_db
def test_supporter_and_therapist_views_are_structurally_accessible(client, cast):
    for viewer, tie in ((cast.supporter, cast.sponsor_tie), (cast.therapist, cast.therapist_tie)):
        client.login(email=viewer.email, password=PASSWORD)
        for url in (
            reverse("dashboard"),
            reverse("network:supporting"),
            reverse("network:supporting_member", args=[tie.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert problems(response.content.decode()) == [], url
        client.logout()


@pytest.mark.django_db
def test_rejected_forms_put_each_error_next_to_its_field(client, cast):
    client.login(email=cast.member.email, password=PASSWORD)
    response = client.post(reverse("network:tie_add"), {"offline_name": "", "role": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert problems(html) == []

    response = client.post(reverse("checkins:today"), {"craving": "11"})
    html = response.content.decode()
    assert response.status_code == 200
    # Each error sits inside its field's group, before the next field's legend.
    mood_at, craving_at = html.index("How is your mood today?"), html.index("How strong is any")
    assert mood_at < html.index("Please choose how your mood is today.") < craving_at
    assert problems(html) == []
    # Nothing already saved was lost: today's hard check-in is still there, unchanged.
    assert CheckIn.objects.get(member=cast.member, local_date=today_of(cast.member)).craving == 9


def test_the_checker_itself_catches_the_problems_it_claims_to():
    bad = (
        '<html><body><h1>A</h1><h3>skipped</h3><h1>B</h1><input name="q">'
        '<p style="color:red" id="x"></p><span id="x"></span><script>alert(1)</script>'
        '<svg viewBox="0 0 1 1"><rect/></svg><button></button>'
        '<svg role="group" aria-label="C"><title>C</title><a href="#p"><circle/></a></svg>'
        '<input aria-describedby="nowhere" aria-label="ok"><span class="helptext">Hi</span>'
        "</body></html>"
    )
    found = " | ".join(problems(bad))
    for expected in (
        "no lang",
        "0 <main>",
        "2 h1",
        "skips from h1 to h3",
        "duplicate ids ['x']",
        "unlabelled <input name='q'>",
        "style= attributes",
        "inline scripts",
        "without role=img",
        "a link in an SVG group without a name",
        "without a <title>",
        "button(s) without a name",
        "missing id 'nowhere'",
        "help text (no id) not tied",
    ):
        assert expected in found
    good = (
        '<html lang="en"><body><main><h1>A</h1><h2>B</h2><label for="q">Q</label>'
        '<input id="q" name="q" aria-describedby="h"><span class="helptext" id="h">Hi</span>'
        '<label>Wrapped <input name="w"></label>'
        '<script type="application/json" id="d">{}</script><script src="/s.js"></script>'
        '<svg role="img" aria-labelledby="t"><title id="t">Chart</title></svg>'
        '<svg role="group" aria-labelledby="c"><title id="c">Circle</title>'
        '<a href="#p" aria-label="Pat"><circle/></a></svg>'
        '<svg aria-hidden="true"></svg></main></body></html>'
    )
    assert problems(good) == []
