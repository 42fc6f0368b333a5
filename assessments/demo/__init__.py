"""Demo data: two organisations, their sites, people and two rounds of assessments.

The data is riverbend.yaml beside this module (read and checked by `data.py`); `seed.py` turns
it into rows through the services. `seed_demo()` is what `manage.py seed_demo` runs.
"""

from __future__ import annotations

from django.conf import settings

from assessments.demo.data import DemoData, Login, load_demo
from assessments.demo.seed import SeedSummary, demo_seed

__all__ = [
    "ADMIN",
    "COLLEAGUES",
    "CONSULTANT",
    "DEMO",
    "LAKESIDE",
    "LOGINS",
    "RIVERBEND",
    "SITES",
    "SITE_ADMIN",
    "VIEWER",
    "DemoData",
    "Login",
    "SeedSummary",
    "format_logins",
    "seed_demo",
]

DEMO = load_demo()
LOGINS: tuple[Login, ...] = DEMO.logins
# Colleagues who answer for their sites: username -> name. They cannot sign in.
COLLEAGUES = {person.username: person.name for person in DEMO.colleagues}
SITES = DEMO.sites
RIVERBEND, LAKESIDE = (organisation.name for organisation in DEMO.organisations)
ADMIN, CONSULTANT, SITE_ADMIN, VIEWER = (login.username for login in LOGINS)


def seed_demo() -> SeedSummary:
    """Create the demo organisations, people and assessments that are not there yet."""
    return demo_seed(data=DEMO)


def format_logins() -> str:
    """The demo logins as a small table, for the end of seed_demo and `make run`."""
    rows = [("login", "password", "who")]
    rows += [(login.username, login.password, f"{login.name}, {login.what}") for login in LOGINS]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"Demo logins (sign in at {settings.SITE_URL}/login/):"]
    for username, password, who in rows:
        lines.append(f"  {username:<{widths[0]}}  {password:<{widths[1]}}  {who}")
    return "\n".join(lines)
