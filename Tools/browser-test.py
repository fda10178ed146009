#!/usr/bin/env python3
"""Drives the dashboard of a running `cairn-demo --dashboard` in Debian's chromium (Playwright) and checks what a
person would: signing in with the token, the overview's counts, the list and its status filter, a workflow's
timeline, a diverged workflow's report, a live timeline, a cancel round trip and a fork. With --screenshots, saves
the pages for the documentation.

Usage: Tools/browser-test.py --url http://127.0.0.1:PORT --token TOKEN [--screenshots]
(Tools/browser-test.sh runs it all.)
"""
import argparse
import json
import os
import re
import sys
import urllib.request

from playwright.sync_api import expect, sync_playwright

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = os.path.join(ROOT, "Sources", "CairnHTTP", "CairnHTTP.docc", "Resources")
TIMEOUT_MS = 15_000

failures = []
passed = []


def check(name, function):
    """Runs one check; a failure is recorded with its reason and the others still run."""
    try:
        function()
        passed.append(name)
        print(f"PASS {name}", flush=True)
    except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the run
        failures.append((name, error))
        print(f"FAIL {name}: {str(error).splitlines()[0] if str(error) else type(error).__name__}", flush=True)


def count_of(page, status):
    return int(page.locator(f'.status-card[data-status="{status}"] .count').inner_text())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the dashboard's address, e.g. http://127.0.0.1:8080")
    parser.add_argument("--token", help="the server's token, when it has one (the test signs in with it)")
    parser.add_argument("--screenshots", action="store_true", help=f"save the pages as PNGs in {SHOTS}")
    args = parser.parse_args()
    base = args.url.rstrip("/")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems = []
        # A script error or a refused resource (the content security policy) is a failure of the page.
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
                if message.type == "error" else None)
        page.on("response", lambda response: problems.append(f"{response.status} for {response.url}")
                if response.status >= 400 else None)

        def shot(name):
            if args.screenshots:
                page.screenshot(path=os.path.join(SHOTS, name))

        def sign_in():
            page.goto(base + "/workflows")
            page.wait_for_url(re.compile(r"/login$"))
            before = len(problems)
            page.fill("#token", "not-the-token-of-this-server")
            page.click('#login-form button[type="submit"]')
            expect(page.locator("#login-error")).to_contain_text("not this server's token")
            # The refused attempt's 401 is the point of this step, not a problem of the page.
            del problems[before:]
            page.fill("#token", args.token)
            page.click('#login-form button[type="submit"]')
            page.wait_for_url(base + "/")
            expect(page.locator("h1")).to_have_text("Overview")

        def overview():
            page.goto(base + "/")
            expect(page.locator("h1")).to_have_text("Overview")
            assert count_of(page, "completed") >= 5, f"completed: {count_of(page, 'completed')}, expected the 5 recovered orders at least"
            assert count_of(page, "diverged") == 1, f"diverged: {count_of(page, 'diverged')}"
            assert count_of(page, "failed") == 1, f"failed: {count_of(page, 'failed')}"
            assert count_of(page, "running") >= 1, f"running: {count_of(page, 'running')}"
            expect(page.locator(".tags")).to_contain_text("return-order")
            expect(page.locator("table.latency")).to_contain_text("commit")
            shot("dashboard-overview.png")

        def workflow_list():
            page.goto(base + "/workflows")
            ids = page.locator("table.workflows td.id > a").all_inner_texts()
            for expected in ["order-101", "order-105", "order-106", "return-301", "return-302", "gift-401"]:
                assert expected in ids, f"{expected} is not listed: {ids}"
            shot("dashboard-list.png")

        def status_filter():
            page.goto(base + "/workflows")
            page.select_option('select[name="status"]', "diverged")
            page.click('form.filters button[type="submit"]')
            page.wait_for_url(re.compile(r"status=diverged"))
            ids = page.locator("table.workflows td.id > a").all_inner_texts()
            assert ids == ["return-301"], f"filtered by diverged, listed {ids}"
            badges = set(page.locator("table.workflows .badge").all_inner_texts())
            assert badges == {"diverged"}, f"badges {badges}"

        def timeline():
            page.goto(base + "/workflows/order-101")
            expect(page.locator("#status-badge")).to_have_text("completed")
            names = page.locator("#timeline .event .name").all_inner_texts()
            for step in ["reserve-inventory", "charge-card", "ship"]:
                assert step in names, f"step {step} is not in the timeline: {names}"
            page.goto(base + "/workflows/return-302")
            expect(page.locator("#timeline")).to_contain_text("attempt 1 of 3 failed")
            expect(page.locator(".panel.failed")).to_contain_text("opened and cannot be restocked")
            page.goto(base + "/workflows/gift-401")
            expect(page.locator(".tree")).to_contain_text("order-201")
            expect(page.locator(".tree")).to_contain_text("order-202")

        def diverged():
            page.goto(base + "/workflows/return-301")
            report = page.locator("#divergence")
            expect(report).to_be_visible()
            recorded = report.locator(".recorded .callsite").inner_text()
            attempted = report.locator(".attempted .callsite").inner_text()
            assert re.search(r"ReturnWorkflows\.swift:\d+", recorded), f"recorded call site: {recorded!r}"
            assert re.search(r"ReturnWorkflows\.swift:\d+", attempted), f"attempted call site: {attempted!r}"
            assert recorded != attempted, "the recorded and attempted call sites should differ"
            expect(report.locator(".recorded .op")).to_contain_text("inspect-item")
            expect(report.locator(".attempted .op")).to_contain_text("check-warranty")
            shot("dashboard-diverged.png")

        def live():
            # return-303 waits for its approval: send it from outside and watch the open page follow.
            page.goto(base + "/workflows/return-303")
            expect(page.locator("#status-badge")).to_have_text("running")
            expect(page.locator("#live-indicator")).to_be_visible()
            before = page.locator("#timeline .event").count()
            request = urllib.request.Request(
                base + "/api/v1/workflows/return-303/messages", method="POST",
                data=json.dumps({"message": "clerk-cy", "topic": "approval"}).encode(),
                headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + args.token} if args.token else {})})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 202, f"send answered {response.status}"
            expect(page.locator("#timeline")).to_contain_text("refund")
            expect(page.locator("#status-badge")).to_have_text("completed")
            assert page.locator("#timeline .event").count() > before, "no timeline row arrived"
            # Settled, the page shows itself whole again: no Cancel for a completed workflow.
            expect(page.locator('button[data-action="cancel"]')).to_have_count(0)
            expect(page.locator(".summary")).to_contain_text("Result")
            shot("dashboard-workflow.png")

        def cancel():
            page.goto(base + "/workflows/order-106")
            expect(page.locator("#status-badge")).to_have_text("running")
            dialogs = []

            def accept(dialog):
                dialogs.append(dialog.message)
                dialog.accept()

            page.once("dialog", accept)
            page.click('button[data-action="cancel"]')
            expect(page.locator("#status-badge")).to_have_text("cancelled")
            assert dialogs and "order-106" in dialogs[0], f"the confirmation said {dialogs}"
            expect(page.locator('button[data-action="resume"]')).to_be_visible()

        def fork():
            page.goto(base + "/workflows/return-301")
            prompts = []

            def answer(dialog):
                prompts.append(dialog.default_value)
                dialog.accept("0")

            page.once("dialog", answer)
            page.click('button[data-action="fork"]')
            page.wait_for_url(lambda url: "/workflows/" in url and not url.endswith("/return-301"))
            assert prompts == ["0"], f"the fork's prompt proposed {prompts}, expected the divergence's position 0"
            expect(page.locator("#timeline")).to_contain_text("forked from return-301")
            expect(page.locator("#timeline")).to_contain_text("check-warranty")

        def clean_pages():
            assert not problems, "; ".join(problems)

        if args.token:
            check("sign-in with the token", sign_in)
        check("overview shows counts", overview)
        check("list shows the demo's workflows", workflow_list)
        check("list filters by status", status_filter)
        check("timeline shows steps, retries and children", timeline)
        check("diverged report shows both call sites", diverged)
        check("live timeline follows a running workflow", live)
        check("cancel round trip", cancel)
        check("fork round trip", fork)
        check("no script errors or refused resources", clean_pages)
        browser.close()

    print(f"\n{len(passed)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
