"""What a person sees when pasting a claim in their own words into the search page:
"Who reported this?", earliest first, each answer leading to the claim in its source.
(Playwright driving the system Chromium; skipped as tests/test_browser.py skips.)"""

from __future__ import annotations

import re
import sqlite3

from .test_browser import browser, demo_site, page  # noqa: F401 (fixtures)

#: The sample sources' "at least 40 local boats were laid up because crews could not pay
#: for fuel", in other words.
RESTATED = "Because crews could not afford fuel, at least 40 local boats sat idle"


def test_a_pasted_claim_shows_who_reported_it_earliest_first(page, demo_site):  # noqa: F811
    page.goto(demo_site.url("/demo/-/search"))
    page.fill("form.provenance-search input[name=q]", RESTATED)
    page.press("form.provenance-search input[name=q]", "Enter")
    page.wait_for_selector(".who-result")
    results = page.locator(".who-result")
    relations = [results.nth(i).get_attribute("data-relation") for i in range(results.count())]
    assert relations[:3] == ["paraphrase"] * 3
    conn = sqlite3.connect(demo_site.db)
    claim_ids = [int(results.nth(i).get_attribute("data-claim")) for i in range(3)]
    published = [
        conn.execute(
            "SELECT s.published FROM claims c JOIN sources s ON s.id = c.source_id WHERE c.id = ?",
            (cid,),
        ).fetchone()[0]
        for cid in claim_ids
    ]
    assert published == sorted(published)  # the first reporter leads
    results.first.locator("a.claim-link").click()
    page.wait_for_url(re.compile(rf"/demo/-/claim/{claim_ids[0]}$"))
    [text] = conn.execute("SELECT text FROM claims WHERE id = ?", (claim_ids[0],)).fetchone()
    assert page.locator("mark#claim-highlight").inner_text() == text
