"""Locust users for bench/load.py (run by it; not meant to be started by hand).

The plan (which users, which assessment and question each writer saves, which pages the
readers open) comes from the JSON file named by LOAD_PLAN; what happened (every request and
every acknowledged save) goes to the JSON file named by LOAD_OUT when locust stops.

- Writer: signs in, opens its questionnaire domain page, then every 5 seconds saves its
  question the way static/js/questionnaire.js does (one question, X-Autosave: 1, CSRF token,
  the revision and fingerprint the page showed) with a value other than the last one, and
  reloads the page every sixth time. Writers that share a question meet 409 conflicts: the
  expected answer to a stale page, counted apart; such a writer reloads the page and goes on.
- Reader: a consultant, who must use a second factor: signs in with the password and then
  a code from its authenticator (computed here from the device's key), then opens the
  organisation dashboard, results pages, gap reports and assessment pages.

No request follows a redirect: a page that sends a reader elsewhere (to the sign-in or the
two-factor set-up, say) is an error, never a quick 200 of another page.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from typing import Any
from urllib.parse import urlencode

import gevent
from django_otp.oath import totp
from locust import constant_pacing, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN: dict[str, Any] = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115
WRITERS = itertools.count()
READERS = itertools.count()
FORM = "application/x-www-form-urlencoded"
RECORD: dict[str, list[Any]] = {"requests": [], "acks": [], "conflicts": [], "errors": []}


def _hidden(html: str, name: str) -> str | None:
    match = re.search(r'name="' + re.escape(name) + r'" value="([^"]*)"', html)
    return match.group(1) if match else None


def random_phase(period: float) -> None:
    """Wait a random part of the pacing period once, before the first task.

    Users start at a steady spawn rate (2 a second) and then keep a constant pace (a save every
    5 seconds): without this, every user started at the same point of the period would fire at
    the same moment for the whole run, e.g. 20 writers at once every half second with 200 of
    them, bursts no office of people typing ever makes. A random phase spreads them evenly.
    """
    gevent.sleep(random.uniform(0, period))


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    exception: Any = None,
    start_time: float | None = None,
    **kwargs: Any,
) -> None:
    status = getattr(response, "status_code", 0) if response is not None else 0
    RECORD["requests"].append(
        [start_time or time.time(), name, response_time, status, exception is None]
    )


@events.quitting.add_listener
def _write(environment: Any, **kwargs: Any) -> None:
    with open(os.environ["LOAD_OUT"], "w") as out:
        json.dump(RECORD, out)


class SignedIn(FastHttpUser):
    # FastHttpUser (geventhttpclient): a fraction of requests' CPU, which matters when the
    # load generator shares the machine with the server.
    abstract = True
    credentials: dict[str, Any]

    def sign_in(self) -> None:
        page = self.client.get("/login/", name="login page")
        self.submit(
            "/login/",
            "login",
            {
                "username": self.credentials["username"],
                "password": self.credentials["password"],
                "csrfmiddlewaretoken": _hidden(page.text, "csrfmiddlewaretoken") or "",
            },
        )

    def submit(self, url: str, name: str, fields: dict[str, str]) -> None:
        """POST a form as the browser does; anything but the redirect that follows is an error."""
        with self.client.post(
            url,
            urlencode(fields),
            headers={"Referer": self.host + url, "Content-Type": FORM},
            allow_redirects=False,
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{name} refused: {response.status_code}")
                RECORD["errors"].append([name, response.status_code])


class Writer(SignedIn):
    fixed_count = len(PLAN["writers"])
    pace = 5  # seconds between two saves
    wait_time = constant_pacing(pace)

    def on_start(self) -> None:
        self.plan = PLAN["writers"][next(WRITERS) % len(PLAN["writers"])]
        self.credentials = self.plan
        self.key = self.plan["key"]
        self.url = self.plan["domain_url"]
        self.saves = 0
        self.last_value: str | None = None
        self.sign_in()
        self.load_page()
        random_phase(self.pace)

    def load_page(self) -> None:
        with self.client.get(
            self.url, name="domain page", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                RECORD["errors"].append(["domain page", response.status_code, self.url])
                response.failure(f"domain page: {response.status_code}")
        self.token = _hidden(response.text, "csrfmiddlewaretoken") or ""
        self.rev = _hidden(response.text, f"{self.key}--rev") or "0"
        self.base = _hidden(response.text, f"{self.key}--base") or ""

    def next_value(self) -> str:
        choices = [v for v in self.plan["values"] if v != self.last_value]
        return random.choice(choices)

    @task
    def save(self) -> None:
        self.saves += 1
        if self.saves % 6 == 0:
            self.load_page()
        value = self.next_value()
        data = {
            "csrfmiddlewaretoken": self.token,
            self.key: value,
            # Unique per save, so that the check afterwards can find each one in the audit.
            f"{self.key}--comment": f"{self.plan['username']} save {self.saves}",
            f"{self.key}--evidence": "",
            f"{self.key}--rev": self.rev,
            f"{self.key}--base": self.base,
        }
        with self.client.post(
            self.url,
            urlencode(data),
            headers={
                "Content-Type": FORM,
                "X-Autosave": "1",
                "Accept": "application/json",
                "Referer": self.host + self.url,
            },
            name="autosave",
            catch_response=True,
        ) as response:
            try:
                body = response.json()
            except ValueError:
                body = {}
            saved = body.get("saved", {})
            if response.status_code == 200 and self.key in saved:
                self.rev = str(saved[self.key]["rev"])
                self.base = saved[self.key].get("base") or ""
                self.last_value = value
                RECORD["acks"].append(
                    [
                        self.plan["assessment"],
                        self.key,
                        value,
                        data[f"{self.key}--comment"],
                        int(self.rev),
                        self.plan["username"],
                    ]
                )
                response.success()
            elif response.status_code == 409 and self.key in body.get("problems", {}):
                # Someone else saved this question since the page was loaded: expected.
                RECORD["conflicts"].append(
                    [self.plan["assessment"], self.key, self.plan["username"]]
                )
                response.success()
                self.load_page()
            else:
                RECORD["errors"].append(["autosave", response.status_code, response.text[:300]])
                response.failure(f"autosave: {response.status_code}")


class Reader(SignedIn):
    fixed_count = len(PLAN["readers"])
    pace = 2  # seconds between two pages
    wait_time = constant_pacing(pace)

    def on_start(self) -> None:
        self.credentials = PLAN["readers"][next(READERS) % len(PLAN["readers"])]
        self.sign_in()
        self.second_factor()
        random_phase(self.pace)

    def second_factor(self) -> None:
        url = "/account/two-factor/verify/"
        page = self.client.get(url, name="two-factor page", allow_redirects=False)
        plan = self.credentials
        code = totp(
            bytes.fromhex(plan["totp_key"]),
            step=plan["totp_step"],
            t0=plan["totp_t0"],
            digits=plan["totp_digits"],
        )
        self.submit(
            url,
            "two-factor code",
            {
                "code": f"{code:0{plan['totp_digits']}d}",
                "csrfmiddlewaretoken": _hidden(page.text, "csrfmiddlewaretoken") or "",
            },
        )

    def open(self, url: str, name: str) -> None:
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                RECORD["errors"].append([name, response.status_code, url])
                response.failure(f"{name}: {response.status_code}")

    @task(2)
    def results(self) -> None:
        self.open(random.choice(PLAN["results_urls"]), "results")

    @task(2)
    def gap_report(self) -> None:
        self.open(random.choice(PLAN["report_urls"]), "gap report")

    @task(1)
    def dashboard(self) -> None:
        self.open(PLAN["dashboard_url"], "dashboard")

    @task(1)
    def assessment(self) -> None:
        self.open(random.choice(PLAN["detail_urls"]), "assessment")
