"""Forms of action items: the list's filters, an item's edit, tracking the plan, the digest."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth.models import User

from actions.models import ActionItem
from actions.queries import ItemFilters, Sort

TEXT_MAX = 5000
TITLE_MAX = 1000
EARLIEST_DUE = datetime.date(2000, 1, 1)
LATEST_DUE = datetime.date(2100, 12, 31)
NOBODY = "none"


class FilterForm(forms.Form):
    """The list's filters from the query string. A bad value is reported next to its field
    and that filter left out; the page still shows."""

    site = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Site")
    domain = forms.ChoiceField(required=False, label="Domain")
    owner = forms.ChoiceField(required=False, label="Owner")
    status = forms.ChoiceField(required=False, label="Status")
    overdue = forms.BooleanField(required=False, label="Overdue only")
    sort = forms.ChoiceField(required=False, choices=Sort.CHOICES, label="Sort by")

    def __init__(
        self,
        data: Any,
        *,
        sites: list[tuple[int, str]],
        domains: list[tuple[str, str]],
        owners: list[tuple[int, str]],
        me: int,
    ) -> None:
        super().__init__(data)
        field_site: Any = self.fields["site"]
        field_site.choices = [("", "All sites"), *sites]
        self.fields["domain"].choices = [("", "All domains"), *domains]  # type: ignore[attr-defined]
        self.fields["owner"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            (str(me), "Me"),
            (NOBODY, "Nobody yet"),
            *[(str(pk), name) for pk, name in owners if pk != me],
        ]
        self.fields["status"].choices = [("", "Any status"), *ActionItem.Status.choices]  # type: ignore[attr-defined]

    def filters(self, *, site: int | None = None) -> ItemFilters:
        """The valid filters (a field with an error is left out); `site` fixes the site."""
        self.is_valid()
        data = self.cleaned_data
        owner_raw = data.get("owner") or ""
        owner = 0 if owner_raw == NOBODY else (int(owner_raw) if owner_raw else None)
        return ItemFilters(
            site=site if site is not None else data.get("site"),
            domain=data.get("domain") or "",
            owner=owner,
            status=data.get("status") or "",
            overdue=bool(data.get("overdue")),
            sort=data.get("sort") or Sort.PRIORITY,
        )


class ItemForm(forms.Form):
    """An item's edit. The owner who may not edit the item gets status, reason and notes."""

    title = forms.CharField(
        max_length=TITLE_MAX,
        error_messages={"required": "Say what is to be done."},
        label="Action (the recommendation)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    owner = forms.ChoiceField(required=False, label="Owner")
    due_date = forms.DateField(
        required=False, label="Due date", widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(choices=ActionItem.Status.choices, label="Status")
    reason = forms.CharField(
        required=False,
        max_length=TEXT_MAX,
        label="Reason (for “won't do”)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(
        required=False,
        max_length=TEXT_MAX,
        label="Notes and milestones",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)

    def __init__(
        self, data: Any = None, *, item: ActionItem, owners: dict[int, User], full: bool
    ) -> None:
        initial = {
            "title": item.title,
            "owner": str(item.owner_id or ""),
            "due_date": item.due_date,
            "status": item.status,
            "reason": item.reason,
            "notes": item.notes,
            "revision": item.revision,
        }
        super().__init__(data, initial=initial)
        self.owners = owners
        self.full = full
        if full:
            self.fields["owner"].choices = [  # type: ignore[attr-defined]
                ("", "Nobody yet"),
                *[(str(pk), _name(user)) for pk, user in owners.items()],
            ]
        else:
            for name in ("title", "owner", "due_date"):
                del self.fields[name]

    def clean_title(self) -> str:
        title = " ".join(str(self.cleaned_data["title"]).split())
        if not title:
            raise forms.ValidationError("Say what is to be done.")
        return title

    def clean_owner(self) -> User | None:
        raw = self.cleaned_data.get("owner") or ""
        return self.owners[int(raw)] if raw else None

    def clean_due_date(self) -> datetime.date | None:
        due: datetime.date | None = self.cleaned_data.get("due_date")
        if due is not None and not EARLIEST_DUE <= due <= LATEST_DUE:
            raise forms.ValidationError("Choose a date between the years 2000 and 2100.")
        return due

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("status") == ActionItem.Status.WONT_DO
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", "Say why this will not be done.")
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = (
            ("title", "owner", "due_date", "status", "reason", "notes")
            if self.full
            else (
                "status",
                "reason",
                "notes",
            )
        )
        return {name: data[name] for name in fields}


def _name(user: User) -> str:
    from assessments.display import display_name

    return display_name(user)


class PlanForm(forms.Form):
    """Track recommendations: one (`question`), the top ten or all (`scope`)."""

    question = forms.CharField(required=False, max_length=120)
    scope = forms.ChoiceField(
        required=False, choices=[("", "One"), ("top10", "Top 10"), ("all", "All")]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("question") and not data.get("scope"):
            raise forms.ValidationError("Choose a recommendation to track, the top 10 or all.")
        return data
