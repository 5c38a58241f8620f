"""Journey 2: an invited supporter signs up from the email, accepts, sees only what is shared."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import expect

from checkins.services import checkin_record
from network.models import Role, Scope, Tie, TieStatus

from .steps import log_in, sign_up
from .test_journey_member import invite

SUPPORTER = "casey@example.org"


def test_invited_supporter_sees_exactly_what_is_shared(live, new_page, check, account):
    robin = account("robin@example.org", "Robin")
    checkin_record(
        member=robin,
        local_date=timezone.localdate(),
        values={
            "mood": 2,
            "craving": 7,
            "used": False,
            "connectedness": 2,
            "notes": "Rough meeting with my boss",
            "gratitude": "my cat",
        },
    )
    member = new_page()
    log_in(member, robin.email)
    invite(member, check, SUPPORTER, "Casey", Role.FRIEND, "Would you be in my corner?")

    # The supporter, in another browser profile, follows the mailed link.
    mail = live.mailbox.wait_for(SUPPORTER, "invited you")
    (link,) = live.links(mail, "/network/invite/")
    supporter = new_page()
    supporter.goto(link)
    check(supporter, "invitation (signed out)")
    expect(supporter.get_by_text("Would you be in my corner?")).to_be_visible()
    supporter.get_by_role("link", name="create an account").click()
    sign_up(supporter, live, SUPPORTER, "Casey", check=check)
    # Back on the invitation after verifying the address.
    assert supporter.url == link, supporter.url
    check(supporter, "invitation (signed in)")
    supporter.get_by_role("button", name="Accept", exact=True).click()
    supporter.wait_for_load_state("load")
    tie = Tie.objects.get(member=robin, supporter__email=SUPPORTER)
    assert tie.status == TieStatus.ACTIVE

    # By default a supporter sees only whether Robin checked in today.
    supporter.goto(f"/network/supporting/{tie.pk}/")
    check(supporter, "what Robin shares (default)")
    main = supporter.locator("main")
    expect(main).to_contain_text("Robin checked in today.")
    for hidden in ("Mood", "Craving", "Rough meeting", "my cat", "Who they've been in touch"):
        expect(main).not_to_contain_text(hidden)

    # Robin adds mood and craving; notes stay private.
    member.goto(f"/network/ties/{tie.pk}/sharing/")
    check(member, "sharing settings")
    member.check(f"[name=scopes][value={Scope.MOOD_CRAVING}]")
    member.get_by_role("button", name="Save").click()
    member.wait_for_load_state("load")

    supporter.reload()
    check(supporter, "what Robin shares (mood and craving)")
    expect(main).to_contain_text("Low (2)")
    expect(main.locator("table")).to_contain_text("7")
    for hidden in ("Rough meeting", "my cat", "Used", "Notes", "Who they've been in touch"):
        expect(main).not_to_contain_text(hidden)
