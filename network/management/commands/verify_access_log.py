"""Verify the access log's hash chains, and that no entry vanished since a checkpoint."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from network.accesslog import verify_chain
from network.checkpoints import ChainHead, CheckpointClaims, checkpoint_parse, checkpoint_problems


class Command(BaseCommand):
    help = (
        "Check that the access log (accounting of disclosures) has not been tampered with: "
        "every member's hash chain, and, given checkpoints kept elsewhere, that no chain lost "
        "entries off its end. Exits non-zero on any problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="A file holding checkpoint lines: an extract of the structured log, the "
            "output of access_log_checkpoint, or a member's access-log CSV. Repeatable.",
        )
        parser.add_argument("--member", type=int, help="Verify only this member's chain.")
        parser.add_argument("--count", type=int, help="With --member: the checkpoint's count.")
        parser.add_argument("--head", help="With --member and --count: the checkpoint's hash.")

    def handle(self, *args, **options) -> None:
        member = options["member"]
        claims = CheckpointClaims([], [])
        for name in options["checkpoint"]:
            try:
                text = Path(name).read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                raise CommandError(f"Cannot read checkpoint {name}: {exc}") from exc
            found = checkpoint_parse(text)
            if not found.heads and not found.digests:
                raise CommandError(f"No access-log checkpoint line found in {name}.")
            claims.heads += found.heads
            claims.digests += found.digests
        if options["count"] is not None or options["head"]:
            head = (options["head"] or "").strip().lower()
            if (
                member is None
                or options["count"] is None
                or not re.fullmatch(r"[0-9a-f]{64}", head)
            ):
                raise CommandError("--count and --head go together with --member (a 64-hex hash).")
            claims.heads.append(ChainHead(member, options["count"], head))
        if member is not None:
            claims.heads = [h for h in claims.heads if h.member == member]
            claims.digests = []

        report = verify_chain(member_ref=member)
        problems = []
        if not report.ok:
            problems.append(
                f"Access log chain of member {report.member_ref} broken at entry "
                f"{report.broken_at}: {report.problem}."
            )
        problems += checkpoint_problems(claims)
        if problems:
            raise CommandError("\n".join(problems))
        whose = f"member {member}'s chain" if member is not None else f"{report.chains} chains"
        self.stdout.write(f"Access log intact: {report.checked} entries in {whose} verified.")
        if claims.heads or claims.digests:
            self.stdout.write(
                f"Consistent with the checkpoints given: {len(set(claims.heads))} heads, "
                f"{len(claims.digests)} digests."
            )
        else:
            self.stdout.write(
                "No checkpoint given: entries cut off the end of a chain cannot be seen "
                "without one (--checkpoint FILE)."
            )
