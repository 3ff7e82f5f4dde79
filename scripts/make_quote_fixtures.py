"""Write the PDFs of the linking fixtures (tests/linking_fixtures/), invented reports.

In the quote-tracing report a sentence runs from the foot of page 1 to the top of page 2, so
that a story quoting it has to be traced across the page number and the running head between
its halves. The citation fixtures need a report that a story describes by its author and year.
Run from the project root:

    python scripts/make_quote_fixtures.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAD = "MAREN HARBOUR BOARD - ANNUAL HARBOUR REVIEW 2009"

PAGES = [
    [
        HEAD,
        "Annual Harbour Review 2009",
        "Maren Harbour Board. Published January 2010.",
        "This report is an invented document written for the provenance test suite. The board, "
        "the harbour and every figure in it are fictional.",
        "Dredging",
        "The dredging of the outer anchorage began in April 2009 and was meant to end in "
        "October. It did not: the contractors stopped work in June when they were not paid.",
        "Silt removed from the outer anchorage in 2009 contained cadmium at levels",
    ],
    [
        HEAD,
        "three times the national limit, and none of it was tested before it was dumped at sea.",
        "Fisheries",
        "Catches landed at Port Anselm fell by 38 percent in 2009, the largest fall since "
        "records began.",
        "Recommendations",
        "The board recommends that all dredging in the outer anchorage stop until every load "
        "of silt has been tested by an independent laboratory.",
    ],
]


SMUGGLING_REPORT = [
    [
        "Smuggling through the Port of Varno, 2008",
        "Centre for Coastal Security, Harlow Academy. November 2008.",
        "This report is an invented document written for the provenance test suite. The "
        "academy, the port and every figure in it are fictional.",
        "Smugglers moved at least 300 tonnes of goods through the port of Varno in 2008, the "
        "Centre estimates, most of it in containers that were never scanned.",
    ]
]


def _writer():
    spec = importlib.util.spec_from_file_location("make_pdfs", ROOT / "scripts" / "make_pdfs.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.write_text_pdf


def main() -> None:
    _writer()(
        ROOT / "tests" / "linking_fixtures" / "quotes" / "02-report-harbour-review.pdf",
        PAGES,
        {
            "Title": "Annual Harbour Review 2009",
            "Author": "Maren Harbour Board",
            "CreationDate": "D:20100120090000",
            "Producer": "provenance test fixtures",
        },
    )
    _writer()(
        ROOT / "tests" / "linking_fixtures" / "citations" / "03-report-varno-smuggling.pdf",
        SMUGGLING_REPORT,
        {
            "Title": "Smuggling through the Port of Varno, 2008",
            "Author": "Centre for Coastal Security, Harlow Academy",
            "CreationDate": "D:20081120100000",
            "Producer": "provenance test fixtures",
        },
    )


if __name__ == "__main__":
    main()
