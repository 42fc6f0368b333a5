"""./manage.py offboard_organisation ORG --export FILE, then --delete --confirm NAME."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Organisation
from offboarding.services import OffboardingError, organisation_delete, organisation_export


def find_organisation(key: str) -> Organisation:
    """By slug, exact name or id."""
    organisation = (
        Organisation.objects.filter(slug=key).first()
        or Organisation.objects.filter(name=key).first()
    )
    if organisation is None and key.isdigit() and len(key) < 19:
        organisation = Organisation.objects.filter(pk=int(key)).first()
    if organisation is None:
        raise CommandError(f"no organisation with slug, name or id {key!r}")
    return organisation


class Command(BaseCommand):
    help = (
        "Offboard an organisation: --export FILE writes a ZIP of everything it holds (each "
        "assessment's JSON, the comparison CSVs, the audit trail, members, logo); --delete "
        "--confirm NAME then deletes it with its sites, assessments, files and memberships. "
        "Both steps are recorded in the offboarding log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", metavar="ORG", help="slug, exact name or id")
        parser.add_argument("--export", type=Path, metavar="FILE", help="write the ZIP here")
        parser.add_argument("--delete", action="store_true", help="delete the organisation")
        parser.add_argument(
            "--confirm", metavar="NAME", default="", help="the organisation's exact name"
        )

    def handle(self, **options: Any) -> None:
        if not options["export"] and not options["delete"]:
            raise CommandError("say what to do: --export FILE, --delete --confirm NAME, or both")
        if options["delete"] and not options["confirm"]:
            raise CommandError("--delete needs --confirm with the organisation's exact name")
        organisation = find_organisation(options["organisation"])
        output: Path | None = options["export"]
        if output is not None:
            export = organisation_export(organisation=organisation, user=None, via="command")
            try:
                output.write_bytes(export.content)
            except OSError as exc:
                raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from exc
            counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in export.counts.items())
            self.stdout.write(f"{organisation.name}: exported to {output} ({counts})")
        if options["delete"]:
            name = organisation.name
            try:
                log = organisation_delete(
                    organisation=organisation,
                    confirm_name=options["confirm"],
                    user=None,
                    via="command",
                )
            except OffboardingError as exc:
                raise CommandError(str(exc)) from exc
            counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in log.counts.items())
            self.stdout.write(f"{name}: deleted ({counts}); offboarding log #{log.pk}")
