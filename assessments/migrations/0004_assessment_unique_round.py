"""One assessment per site, instrument (any version) and round, held by a constraint.

Assessments that already break the rule are renamed first: the oldest keeps the round's
name, the others become "<round> (2)", "<round> (3)"…, each rename recorded in that
assessment's audit trail. The helpers are copied here, not imported, so this migration keeps
doing what it does when the app's code changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import migrations, models

MAX_ROUND = 100
REASON = "Another assessment of this site had the same questionnaire and round name."


def round_key(label: str) -> str:
    # As assessments.models.round_key at the time of this migration.
    return " ".join(label.split()).casefold()


def plan_round_renames(rows: Iterable[tuple[int, int, str, str]]) -> dict[int, str]:
    """New round names for duplicates: rows are (pk, site id, instrument slug, round label),
    oldest first. Returns {pk: new label} for every row that has to change."""
    rows = list(rows)
    used: dict[tuple[int, str], set[str]] = defaultdict(set)
    for _, site_id, slug, label in rows:
        used[(site_id, slug)].add(round_key(label))
    kept: set[tuple[int, str, str]] = set()
    renames: dict[int, str] = {}
    for pk, site_id, slug, label in rows:
        key = (site_id, slug, round_key(label))
        if key not in kept:
            kept.add(key)
            continue
        taken = used[(site_id, slug)]
        n = 2
        while True:
            suffix = f" ({n})"
            candidate = label.strip()[: MAX_ROUND - len(suffix)].rstrip() + suffix
            if round_key(candidate) not in taken:
                break
            n += 1
        taken.add(round_key(candidate))
        renames[pk] = candidate
    return renames


def deduplicate_rounds(apps, schema_editor) -> None:
    Assessment = apps.get_model("assessments", "Assessment")
    AuditEntry = apps.get_model("assessments", "AuditEntry")
    rows = []
    for pk, site_id, slug, label in Assessment.objects.order_by("created_at", "pk").values_list(
        "pk", "site_id", "instrument__slug", "round_label"
    ):
        rows.append((pk, site_id, slug, label))
        Assessment.objects.filter(pk=pk).update(instrument_slug=slug, round_key=round_key(label))
    old_labels = {pk: label for pk, _, _, label in rows}
    for pk, label in plan_round_renames(rows).items():
        Assessment.objects.filter(pk=pk).update(round_label=label, round_key=round_key(label))
        AuditEntry.objects.create(
            assessment_id=pk,
            user=None,
            action="renamed",
            subject="round",
            old={"round": old_labels[pk]},
            new={"round": label, "reason": REASON},
        )
    if schema_editor.connection.vendor == "postgresql":
        # The audit rows' deferred foreign-key checks must run before the table is altered.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0003_instrument_blocker_below"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="instrument_slug",
            field=models.SlugField(default="", editable=False, max_length=80),
        ),
        migrations.AddField(
            model_name="assessment",
            name="round_key",
            field=models.CharField(default="", editable=False, max_length=300),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("answer", "Answer changed"),
                    ("status", "Status changed"),
                    ("target", "Target changed"),
                    ("imported", "Imported"),
                    ("renamed", "Round renamed"),
                    ("viewed", "Report viewed"),
                    ("exported", "Exported"),
                ],
                max_length=20,
            ),
        ),
        # The renames stay when going back: they are correct names either way.
        migrations.RunPython(deduplicate_rounds, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="assessment",
            constraint=models.UniqueConstraint(
                fields=("site", "instrument_slug", "round_key"),
                name="one_assessment_per_site_instrument_round",
            ),
        ),
    ]
