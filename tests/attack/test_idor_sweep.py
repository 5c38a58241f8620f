"""An IDOR sweep over the whole URL conf: every id or token, tried by everyone it is not theirs.

Every URL pattern that takes an argument has an entry in ``SWEEP``: either the objects to try
it with and who owns each (owners are not tried), or the reason the argument names nothing of
anyone else's. A pattern without an entry fails ``test_every_url_pattern_is_in_the_sweep``, so
a new view is swept from the day it is added. Everyone else, anonymous included, must be
refused (403/404, a login redirect for anonymous, 405 for a method the view does not take, or the
entry's own harmless answer), by GET and by POST, and the database must not change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from notifications.tokens import ACTIONS, action_token, unsubscribe_token

from ..network_cast import ALL_SCOPES
from .objects import World, build_world, changed, snapshot


@dataclass(frozen=True)
class Target:
    label: str
    kwargs: dict
    owners: frozenset[str] = frozenset()
    # A harmless answer for this target besides 403/404: a redirect (by path prefix) that
    # discloses nothing, or a status such as 400 for a forged token's "link not valid" page.
    redirect_to: str = ""
    statuses: frozenset[int] = frozenset()
    # Text a 200 among ``statuses`` must not contain (the victim's name, email …).
    must_not_show: tuple[str, ...] = ()
    # What the owner control test demands beyond "not 403/404": the status of the owner's GET,
    # and for a POST-only view the redirect (by path prefix) the owner's POST must get.
    owner_get: int = 0
    owner_post: str = ""


Build = Callable[[World], list[Target]]
MEMBER = frozenset({"member"})
BAD_LINK = frozenset({HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND})
BAD_INVITE = frozenset({HTTPStatus.GONE, HTTPStatus.OK})


def _member_ties(w: World, **extra) -> list[Target]:
    ties = w.cast.ties
    targets = [
        Target(name, {"tie_id": ties[name].pk, **extra}, MEMBER)
        for name in ("scope:notes", "therapist_active", "ended")
    ]
    targets.append(Target("offline", {"tie_id": w.cast.offline_tie.pk, **extra}, MEMBER))
    targets.append(Target("olive's", {"tie_id": w.cast.other_tie.pk, **extra}, {"other_member"}))
    return targets


def _supported_ties(w: World) -> list[Target]:
    """Ties seen from the supporter's side: only an active tie's own supporter may use it."""
    targets = []
    for name in ("scope:notes", "supporter_none", "therapist_active", "therapist_expired"):
        targets.append(Target(name, {"tie_id": w.cast.ties[name].pk}, frozenset({name})))
    # The ended tie's own supporter is tried too: an ended tie opens nothing.
    targets.append(Target("ended", {"tie_id": w.cast.ties["ended"].pk}))
    return targets


def _therapist_ties(w: World) -> list[Target]:
    """Scheduling needs a verified therapist under consent in force: only the active one."""
    names = [
        "therapist_active",
        "therapist_expired",
        "therapist_revoked",
        "therapist_unverified",
        "therapist_withdrawn",
        "scope:notes",
    ]
    return [
        Target(
            n,
            {"tie_id": w.cast.ties[n].pk},
            frozenset({n}) if n == "therapist_active" else frozenset(),
        )
        for n in names
    ]


def _clinic_ties(w: World, *, owner_get: int = 0, owner_post: str = "", **extra) -> list[Target]:
    """A client's pages: only their therapist under consent in force (who has MFA and, in
    these clients, has just confirmed it's them) gets them; everyone else a 403/404."""
    tie = w.cast.ties["therapist_active"]
    client_page = reverse("clinic:client", kwargs={"tie_id": tie.pk})
    return [
        Target(
            t.label,
            {**t.kwargs, **extra},
            t.owners,
            owner_get=owner_get,
            owner_post=client_page if owner_post else "",
        )
        for t in _therapist_ties(w)
    ] + [Target("olive's", {"tie_id": w.cast.other_tie.pk, **extra})]


def _sos_answer(w: World) -> list[Target]:
    # The SOS as Sam's SOS contact got it; Sam's ordinary notification is no SOS for anyone.
    return [
        Target("sos", {"pk": w.sos_notification.pk}, frozenset({"supporter_none"}), owner_post="/"),
        Target("not an sos", {"pk": w.notification.pk}),
    ]


def _forged_action_tokens(w: World) -> list[Target]:
    real = action_token(w.notification.pk, ACTIONS[0])
    return [
        Target("garbage", {"token": "not-a-token"}, statuses=BAD_LINK),
        Target(
            "tampered",
            {"token": real[:-2] + ("AA" if real[-2:] != "AA" else "BB")},
            statuses=BAD_LINK,
        ),
        Target("id only", {"token": str(w.notification.pk)}, statuses=BAD_LINK),
        Target(
            "unsubscribe token",
            {"token": unsubscribe_token(w.cast.member.pk, "checkin_reminder")},
            statuses=BAD_LINK,
        ),
    ]


def _forged_unsubscribe_tokens(w: World) -> list[Target]:
    real = unsubscribe_token(w.cast.member.pk, "checkin_reminder")
    return [
        Target("garbage", {"token": "not-a-token"}, statuses=BAD_LINK),
        Target(
            "tampered",
            {"token": real[:-2] + ("AA" if real[-2:] != "AA" else "BB")},
            statuses=BAD_LINK,
        ),
        Target(
            "action token",
            {"token": action_token(w.notification.pk, ACTIONS[0])},
            statuses=BAD_LINK,
        ),
    ]


def _notification(w: World, **extra) -> list[Target]:
    return [Target("sam's", {"pk": w.notification.pk, **extra}, MEMBER)]


# A forged allauth key renders allauth's own "this link is invalid" page.
_ALLAUTH_BAD_LINK = frozenset({HTTPStatus.OK, HTTPStatus.NOT_FOUND, HTTPStatus.BAD_REQUEST})

SWEEP: dict[str, Build | str] = {
    # --- the member's own objects -------------------------------------------------------------
    "network:tie_edit": _member_ties,
    "network:tie_sharing": _member_ties,
    "network:consent_part2": _member_ties,
    "network:tie_status": lambda w: _member_ties(w, action="pause") + _member_ties(w, action="end"),
    "network:invitation_resend": lambda w: [
        Target("sam's", {"invitation_id": w.invitation.pk}, MEMBER)
    ],
    "network:invitation_cancel": lambda w: [
        Target("sam's", {"invitation_id": w.invitation.pk}, MEMBER)
    ],
    "network:consent_revoke": lambda w: [
        Target(
            "therapist consent",
            {"consent_id": w.cast.ties["therapist_active"].consents.get().pk},
            MEMBER,
        )
    ],
    "network:contact_edit": lambda w: [Target("sam's", {"contact_id": w.contact.pk}, MEMBER)],
    "network:contact_delete": lambda w: [Target("sam's", {"contact_id": w.contact.pk}, MEMBER)],
    # The service finds no contact of the caller's and says so on the caller's own page, the
    # same whether or not the id exists: no oracle, nothing changed.
    "network:contact_answer": lambda w: [
        Target(
            f"pending {answer}",
            {"contact_id": w.pending_contact.pk, "answer": answer},
            MEMBER,
            redirect_to="/network/contacts/",
        )
        for answer in ("confirm", "dismiss")
    ],
    "checkins:questionnaire_result": lambda w: [Target("sam's", {"pk": w.result.pk}, MEMBER)],
    "notifications:detail": _notification,
    "notifications:mark_read": _notification,
    "notifications:respond": lambda w: _notification(w, action=ACTIONS[0]),
    "nudges:sos_status": lambda w: [
        Target("sam's", {"pk": w.sos_alert.pk}, MEMBER, owner_get=HTTPStatus.OK)
    ],
    "nudges:sos_answers": lambda w: [
        Target("sam's", {"pk": w.sos_alert.pk}, MEMBER, owner_get=HTTPStatus.OK)
    ],
    "mfa_remove_webauthn": lambda w: [Target("sam's passkey", {"pk": w.passkey.pk}, MEMBER)],
    "mfa_edit_webauthn": lambda w: [Target("sam's passkey", {"pk": w.passkey.pk}, MEMBER)],
    # --- ties seen by the supporter -------------------------------------------------------------
    "network:supporting_member": _supported_ties,
    "network:supporting_export": _supported_ties,
    "network:supporting_leave": _supported_ties,
    "network:encourage": _supported_ties,
    "network:supporter_log_contact": _supported_ties,
    # The old address forwards everyone to the supporter page, which is swept itself.
    "checkins:shared": lambda w: [
        Target(t.label, t.kwargs, redirect_to="/network/supporting/") for t in _supported_ties(w)
    ],
    "checkins:therapist_schedule": _therapist_ties,
    "nudges:sos_reaching_out": _sos_answer,
    "nudges:sos_kind_words": _sos_answer,
    # --- the clinic: a therapist's client under consent, and the therapist's own records -------
    "clinic:client": lambda w: _clinic_ties(w, owner_get=HTTPStatus.OK),
    "clinic:export_csv": lambda w: _clinic_ties(w, owner_get=HTTPStatus.OK),
    "clinic:export_pdf": lambda w: _clinic_ties(w, owner_get=HTTPStatus.OK),
    "clinic:export_fhir": lambda w: _clinic_ties(w, owner_get=HTTPStatus.OK),
    "clinic:note_add": lambda w: _clinic_ties(w, owner_post="client"),
    "clinic:discussed": lambda w: _clinic_ties(w, owner_post="client"),
    # The note is the active therapist's; through any other tie it names nothing.
    "clinic:note_delete": lambda w: _clinic_ties(w, owner_post="client", note_id=w.session_note.pk),
    # Only an organisation's admin sees its roster (counts, never clients).
    "clinic:organisation": lambda w: [
        Target(
            "sweep clinic",
            {"org_id": w.organisation.pk},
            frozenset({"therapist_active"}),
            owner_get=HTTPStatus.OK,
        )
    ],
    # --- tokens: a bearer link is its holder's by design; forged ones must open nothing ---------
    # GET answers 410 Gone; POST re-renders the same "not valid" page (200) naming no one.
    "network:invitation_respond": lambda w: [
        Target(label, {"token": token}, statuses=BAD_INVITE, must_not_show=("Sam",))
        for label, token in [
            ("garbage", "not-a-token"),
            ("invitation id", str(w.invitation.pk)),
            ("truncated", w.invitation_token[:-1]),
        ]
    ],
    "notifications:act": _forged_action_tokens,
    "notifications:unsubscribe": _forged_unsubscribe_tokens,
    "account_confirm_email": lambda w: [
        Target(
            "forged",
            {"key": "MQ:forged-key"},
            statuses=_ALLAUTH_BAD_LINK,
            must_not_show=("sam@example.org",),
        )
    ],
    "account_reset_password_from_key": lambda w: [
        Target(
            "forged for sam",
            {"uidb36": "1", "key": "set-password-forged"},
            statuses=_ALLAUTH_BAD_LINK,
            must_not_show=("sam@example.org",),
        )
    ],
    # --- arguments that name nothing of anyone else's ------------------------------------------
    "checkins:day": "a date of the signed-in member's own check-ins; nobody else's data",
    "checkins:questionnaire_take": "an instrument name; the answers are always the caller's",
    "notifications:unmute": "a kind and channel of the caller's own mute settings",
}

# The admin: every model's change, delete and history pages, and the password form, are
# tried with one object each; only superusers (none in the cast) may open them.
ADMIN_VIEWS = ("change", "delete", "history")
ADMIN_OTHER = {
    "admin:app_list": "an app label; the index is staff-only like every admin page",
    "admin:view_on_site": "redirects staff to the object's public page; swept with change",
}


def _patterns(
    resolver: URLResolver | None = None, ns: str = "", inherited: bool = False
) -> list[tuple[str, URLPattern, bool]]:
    """(name, pattern, takes arguments) for every named pattern, an include's own included."""
    found = []
    for p in (resolver or get_resolver()).url_patterns:
        takes = inherited or bool(p.pattern.regex.groups)
        if isinstance(p, URLResolver):
            found += _patterns(p, p.namespace or ns, takes)
        elif p.name:
            found.append((f"{ns}:{p.name}" if ns else p.name, p, takes))
    return found


def test_every_url_pattern_is_in_the_sweep():
    missing = []
    for name, _pattern, takes in _patterns():
        if not takes:
            continue
        if name.startswith("admin:"):
            covered = name in ADMIN_OTHER or name.rsplit("_", 1)[-1] in (*ADMIN_VIEWS, "change")
            covered = covered or name.endswith("_password_change")
            if covered:
                continue
        if name not in SWEEP:
            missing.append(name)
    assert missing == [], f"add these URL patterns to SWEEP in {__file__}: {missing}"


@pytest.fixture
def world(make_user) -> World:
    return build_world(make_user)


@pytest.fixture
def clients(world) -> dict[str, Client]:
    made = {}
    for who, user in world.people.items():
        client = Client()
        if user is not None:
            client.force_login(user)
            # As if each had just typed their password: allauth's reauthentication step
            # would otherwise stand in front of the passkey pages and hide what they do.
            session = client.session
            session["account_authentication_methods"] = [
                {
                    "method": "password",
                    "at": time.time(),
                    "email": user.email,
                    "reauthenticated": True,
                }
            ]
            session["account_authentication_methods_user"] = str(user.pk)
            session.save()
        made[who] = client
    return made


def _refused(response, who: str, method: str, target: Target) -> bool:
    status = response.status_code
    location = response.get("Location", "")
    if status in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND):
        return True
    if status in target.statuses:
        body = response.content.decode() if status == HTTPStatus.OK else ""
        return not any(secret in body for secret in target.must_not_show)
    if status == HTTPStatus.METHOD_NOT_ALLOWED:  # e.g. GET on a POST-only view
        return True
    if status == HTTPStatus.FOUND:
        if who == "anonymous" and "/accounts/login/" in location:
            return True
        if target.redirect_to and location.startswith(target.redirect_to):
            return True
    return False


# Enough to pass most forms, so a view that forgot its access check would act on it.
POST_BODY = {
    "scopes": ALL_SCOPES,
    "reason": "sweep",
    "message": "sweep",
    "method": "call",
    "name": "Sweep",
    "role": "friend",
    "helped": "4",
    "instrument": "ucla3",
    "post": "yes",
    "text": "sweep",
    "session_on": "2026-01-01",
    "day": "2026-01-01",
}


def _sweep(world: World, clients: dict[str, Client], url: str, target: Target) -> list[str]:
    leaks = []
    for who, client in clients.items():
        if who in target.owners:
            continue
        for method in ("GET", "POST"):
            response = client.get(url) if method == "GET" else client.post(url, POST_BODY)
            if not _refused(response, who, method, target):
                status = f"{response.status_code} {response.get('Location', '')}".strip()
                leaks.append(f"{method} {url} ({target.label}) as {who}: {status}")
    return leaks


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n, b in SWEEP.items() if not isinstance(b, str)))
def test_nobody_else_can_use_an_object_url(world, clients, name):
    targets = SWEEP[name](world)
    assert targets, name
    leaks, changes = [], []
    for target in targets:
        url = reverse(name, kwargs=target.kwargs)
        before = snapshot()
        leaks += _sweep(world, clients, url, target)
        changes += [
            f"{url} ({target.label}) changed {label}" for label in changed(before, snapshot())
        ]
    assert leaks == [], "\n".join(leaks)
    assert changes == [], "\n".join(changes)


@pytest.mark.slow
def test_nobody_but_a_superuser_opens_an_admin_object(world, clients):
    leaks = []
    before = snapshot()
    for model in admin.site._registry:
        obj = model._base_manager.order_by("pk").first()
        if obj is None:
            continue
        opts = model._meta
        for view in ADMIN_VIEWS:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])
            target = Target(opts.label, {}, redirect_to="/admin/login/")
            for who, client in clients.items():
                method = "POST" if view == "delete" else "GET"
                response = client.post(url, POST_BODY) if method == "POST" else client.get(url)
                if not _refused(response, who, method, target):
                    leaks.append(f"{method} {url} as {who}: {response.status_code}")
    assert leaks == []
    assert changed(before, snapshot()) == []


def test_the_owners_really_can_open_their_objects(world, clients):
    # Without this the sweep could pass on ids that exist for nobody.
    missing = []
    for name, build in SWEEP.items():
        if isinstance(build, str):
            continue
        for target in build(world):
            url = reverse(name, kwargs=target.kwargs)
            for owner in target.owners:
                response = clients[owner].get(url)
                status = response.status_code
                if status in (HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN) or (
                    target.owner_get and status != target.owner_get
                ):
                    missing.append(f"GET {name} ({target.label}) as {owner}: {status}")
                if target.owner_post:
                    response = clients[owner].post(url, POST_BODY)
                    location = response.get("Location", "")
                    if response.status_code != HTTPStatus.FOUND or not location.startswith(
                        target.owner_post
                    ):
                        missing.append(
                            f"POST {name} ({target.label}) as {owner}: "
                            f"{response.status_code} {location}"
                        )
    assert missing == [], "\n".join(missing)
