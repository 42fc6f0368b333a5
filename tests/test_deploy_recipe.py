"""The README's deploy recipe is what CI checks, and `check --deploy` passes with it clean.

Both are read from the files themselves: the `export` lines of the README's "Deploying with
PostgreSQL and gunicorn" block, and the variables `.ci/run` hands to `check --deploy`.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
SECTION = "## Deploying with PostgreSQL and gunicorn"
# Settings that decide what check --deploy says; the rest (database, paths) are the site's.
CHECKED = re.compile(r"^(DEBUG|SECURE\w*|ALLOWED_HOSTS|CSRF_TRUSTED_ORIGINS|SECRET_KEY\w*)$")


def readme_env() -> dict[str, str]:
    """The variables the README's deploy recipe exports, in its first shell block."""
    text = (BASE_DIR / "README.md").read_text()
    section = text[text.index(SECTION) :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the deploy section has no ```sh block"
    env: dict[str, str] = {}
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            for word in words[1:]:
                name, _, value = word.partition("=")
                env[name] = value
    return env


def ci_env() -> dict[str, str]:
    """The variables `.ci/run`'s deploy_check sets for `check --deploy`."""
    text = (BASE_DIR / ".ci" / "run").read_text()
    body = re.search(r"^deploy_check\(\) \{\n(.*?)^\}", text, re.S | re.M)
    assert body, ".ci/run has no deploy_check function"
    return dict(re.findall(r"^\s+([A-Z_]+)=(\S+) \\$", body.group(1), re.M))


def test_the_readme_recipe_sets_exactly_what_ci_checks():
    readme, ci = readme_env(), ci_env()
    assert "SECURE_HSTS_PRELOAD" in ci  # the parser found CI's variables
    # The secret differs by nature: CI makes one, the README reads it from a file.
    assert "SECRET_KEY_FILE" in readme or "SECRET_KEY" in readme
    ours = {k: v for k, v in readme.items() if CHECKED.match(k) and not k.startswith("SECRET")}
    theirs = {k: v for k, v in ci.items() if CHECKED.match(k) and not k.startswith("SECRET")}
    assert ours == theirs


def test_check_deploy_is_clean_with_the_readme_recipe(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text(secrets.token_urlsafe(64))
    env = {
        # Nothing from this machine's environment but where programs are (the recipe
        # installs Chromium for the PDF charts; check --deploy warns without one).
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **{k: os.environ[k] for k in ("CHROMIUM_PATH",) if k in os.environ},
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        **readme_env(),
        "SECRET_KEY_FILE": str(secret),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CACHE_DIR": str(tmp_path / "cache"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr
    assert "System check identified no issues" in result.stdout
