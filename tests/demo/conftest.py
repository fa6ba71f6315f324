"""The demo as `make run` serves it — embedded PostgreSQL, filesystem task queue, Celery worker
and beat, gunicorn, `seed_demo` — started once for the session and driven through Chromium.

The other browser tests use pytest-django's live server on the test database; this folder
exists because a page may work there and answer 500 on the demo's own database and settings.
The journeys are the subtests of one test (tests/demo/test_demo.py), so one xdist worker
starts one portal and the journeys' order is the test's.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from base64 import b32decode
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django_otp.oath import totp
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Download,
    Locator,
    Page,
    Response,
    expect,
)

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Dingdian2026"  # printed by seed_demo for every demo login
START_TIMEOUT = 300  # seconds: migrate + seed take ~25 s on an idle machine, more when shared
STOP_TIMEOUT = 60
# What the test run exports for its own database and settings (the demo must not see them),
# and what an outer `make test` passes to a sub-make: `make run` starts as from a shell.
NOT_PASSED_ON = (
    "DATABASE_URL",
    "REDIS_URL",
    "DINGDIAN_TESTING",
    "DJANGO_SETTINGS_MODULE",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "HOST",
)


_last_step: dict[str, int] = {}


def authenticator_code(secret: str, username: str) -> str:
    """What an authenticator app shows now for this secret. A code is accepted once per user
    and 30-second step: a second login in the same step waits for the next code, as a person
    would."""
    step = int(time.time()) // 30
    if _last_step.get(username) == step:
        time.sleep(30 - time.time() % 30 + 0.5)
    _last_step[username] = int(time.time()) // 30
    return f"{totp(b32decode(secret)):06d}"


@dataclass
class Demo:
    url: str
    var: Path
    log: Path
    process: subprocess.Popen[bytes]
    postgres_pid: int | None = None
    stopped: list[str] | None = None  # what was left running after the stop, once stopped

    def stop(self) -> list[str]:
        """One SIGTERM to make run's process group; what is still running afterwards (and is
        then stopped, so that nothing leaks)."""
        if self.stopped is None:
            self.stopped = _stop(self)
        return self.stopped

    def printed_totp_secret(self) -> str:
        """The demo's second-factor secret, as `make run` printed it with the logins."""
        printed = self.log.read_text(errors="replace")
        found = re.search(r"authenticator app: ([A-Z2-7]{16,})", printed)
        assert found, f"make run printed no second-factor secret:\n{self.log_tail()}"
        return found.group(1)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200 and "登录" in response.read().decode()
    except (OSError, urllib.error.URLError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="session")
def demo() -> Iterator[Demo]:
    """`make run` in the repository root, in a session of its own, on a free port with all its
    state in a temporary folder; stopped at the end with one SIGTERM to its process group
    (make run's exit trap stops the worker and the embedded PostgreSQL by PID)."""
    # Not under pytest's temporary root: that is private to us (0700), and as root the
    # embedded PostgreSQL runs as its own user ("pgserver"), which must reach its data folder.
    root = Path(tempfile.mkdtemp(prefix="dingdian-demo-"))
    root.chmod(0o755)
    var, log = root / "var", root / "make-run.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON}
    env.update(DINGDIAN_VAR_DIR=str(var), PORT=str(port))
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "run"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Demo(url=f"http://127.0.0.1:{port}", var=var, log=log, process=process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(f"{running.url}/accounts/login/"):
            if process.poll() is not None:
                pytest.fail(
                    f"make run exited with {process.returncode}:\n{running.log_tail()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"make run did not serve the login page in {START_TIMEOUT} s:\n"
                    + running.log_tail(),
                    pytrace=False,
                )
            time.sleep(1)
        services = var / "services.json"
        running.postgres_pid = json.loads(services.read_text()).get("postgres")
        assert running.postgres_pid, (
            f"make run started no embedded PostgreSQL: {services.read_text()}"
        )
        yield running
    finally:
        # The test stops it itself and checks; this is for a test that did not get so far.
        checked = running.stopped is not None
        left = running.stop()
        log_tail = running.log_tail()
        shutil.rmtree(root, ignore_errors=True)
        if left and not checked:
            pytest.fail(
                f"still running after one SIGTERM to make run's process group: "
                f"{', '.join(left)} (make run's exit trap must stop the worker and the "
                f"embedded PostgreSQL)\n{log_tail}",
                pytrace=False,
            )


def _stop(running: Demo) -> list[str]:
    services = running.var / "services.json"
    if running.postgres_pid is None and services.exists():
        running.postgres_pid = json.loads(services.read_text()).get("postgres")
    postgres_pid = running.postgres_pid
    pgid = running.process.pid  # start_new_session: the group's ID is make's PID
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        running.process.wait(timeout=STOP_TIMEOUT)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and (
        _group_alive(pgid) or (postgres_pid is not None and _alive(postgres_pid))
    ):
        time.sleep(0.2)
    left = []
    if running.process.poll() is None:
        left.append("make run")
    if _group_alive(pgid):
        left.append("its process group")
        os.killpg(pgid, signal.SIGKILL)
        running.process.wait(timeout=10)
    if postgres_pid is not None and _alive(postgres_pid):
        left.append(f"the embedded PostgreSQL (PID {postgres_pid})")
    # Whatever happened, leak nothing: the project's own stop, by the PIDs make run recorded
    # (nothing to do when make run's exit trap did its job).
    subprocess.run(
        [sys.executable, "scripts/machine.py", "stop", "--var", str(running.var)],
        cwd=REPO,
        check=False,
    )
    return left


@dataclass
class Visitor:
    """One person at one browser: every 5xx response and JavaScript error on any of their pages
    (pop-ups included) is kept, and every download."""

    username: str
    page: Page
    problems: list[str] = field(default_factory=list)
    downloads: list[Download] = field(default_factory=list)
    watched: list[Page] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        if page in self.watched:
            return
        self.watched.append(page)

        def response(r: Response) -> None:
            if r.status >= 500:
                self.problems.append(f"HTTP {r.status} {r.request.method} {r.url}")

        def console(m: ConsoleMessage) -> None:
            if m.type == "error":
                self.problems.append(f"console error on {page.url}: {m.text}")

        page.on("response", response)
        page.on("console", console)
        page.on("pageerror", lambda e: self.problems.append(f"page error on {page.url}: {e}"))
        page.on("download", lambda d: self.downloads.append(d))

    def nav(self, name: str) -> None:
        """Click an entry of the side navigation."""
        self.page.get_by_role("navigation", name="导航").get_by_role(
            "link", name=name, exact=True
        ).click()

    def confirm(self, consequence: str) -> None:
        """The confirmation step of an irreversible action (issue 16.3): the page names the
        consequence; 确认 re-posts the action."""
        expect(self.page.get_by_test_id("consequence")).to_contain_text(consequence)
        self.page.get_by_role("button", name="确认", exact=True).click()

    def download_from(self, link: Locator, timeout: float = 30) -> Download:
        """Click a link that downloads a file."""
        before = len(self.downloads)
        link.click()
        deadline = time.monotonic() + timeout
        while len(self.downloads) == before:
            assert time.monotonic() < deadline, f"no download from {link}"
            self.page.wait_for_timeout(100)
        return self.downloads[-1]

    def open_in_new_tab(self, link: Locator) -> bytes:
        """Click a link that opens a document in a new tab (target=_blank: Chromium shows a PDF
        there rather than downloading it); the document as this user's browser receives it."""
        with self.page.expect_popup() as popup:
            link.click()
        popup.value.wait_for_load_state()
        href = link.get_attribute("href")
        assert href, link
        response = self.page.request.get(href)
        assert response.status == 200, f"{response.status} {href}"
        popup.value.close()
        return response.body()

    def assert_clean(self) -> None:
        assert self.problems == [], f"{self.username}: " + "\n".join(self.problems)


@contextlib.contextmanager
def visits(browser: Browser, demo: Demo) -> Iterator[Callable[[str], Visitor]]:
    """Log people in through the login form, as a newcomer would with the printed demo logins;
    their browser contexts close at the end."""
    opened: list[Visitor] = []

    def log_in(username: str) -> Visitor:
        context = browser.new_context(
            locale="zh-CN",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
            base_url=demo.url,
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        visitor = Visitor(username, page)
        visitor.watch(page)
        # Pages it opens later (a document in a new tab) are watched as well.
        context.on("page", visitor.watch)
        opened.append(visitor)
        page.goto("/")  # the portal sends a visitor without a session to the login form
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/workspace/" in url or "/accounts/2fa/" in url)
        if "/accounts/2fa/verify" in page.url:
            # A bureau login: the code of the authenticator app holding the secret that
            # `make run` printed with the demo logins.
            code = authenticator_code(demo.printed_totp_secret(), username)
            page.get_by_label("验证码").fill(code)
            page.get_by_role("button", name="验证").click()
            page.wait_for_url("**/workspace/**")
        return visitor

    try:
        yield log_in
    finally:
        for visitor in opened:
            visitor.page.context.close()
