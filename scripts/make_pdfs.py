"""Write the sample report PDFs of sources/ and tests/fixtures/ (invented documents).

A dependency-free writer of simple text PDFs (Helvetica, one text line per row), so that the
samples can be regenerated and read exactly. Run from the project root:

    python scripts/make_pdfs.py
"""

from __future__ import annotations

import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_text_pdf(path: Path, pages: list[list[str]], info: dict[str, str]) -> None:
    """Write ``pages`` (each a list of paragraphs) as a PDF with a document Info dictionary."""
    objects: list[bytes] = []

    def add(body: str | bytes) -> int:
        objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(objects)

    catalog = add("")  # filled below
    pages_obj = add("")
    font = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids = []
    for number, paragraphs in enumerate(pages, 1):
        lines: list[str] = []
        for para in paragraphs:
            lines.extend(textwrap.wrap(para, 88) or [""])
            lines.append("")
        lines.append(f"Page {number}")
        ops = ["BT", "/F1 10 Tf", "14 TL", "60 780 Td"]
        for line in lines:
            ops.append(f"({_escape(line)}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("cp1252")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(
            add(
                f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>"
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode()
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects[pages_obj - 1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    info_entries = " ".join(f"/{k} ({_escape(v)})" for k, v in info.items())
    info_obj = add(f"<< {info_entries} >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info_obj} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    path.write_bytes(bytes(out))


MERIDIAN_REPORT = [
    [
        "Fishing Fleet Incursions in the Gulf of Velmora, 2007",
        "Meridian Institute for Maritime Studies. Occasional Paper 14, March 2008.",
        "This is an invented sample document written for the provenance project. The institute, "
        "the gulf and every figure in it are fictional.",
        "Summary",
        "Between January and November 2007, patrol vessels recorded 214 incursions by foreign "
        "trawlers into the Velmoran exclusive economic zone, more than double the 97 recorded in "
        "2006. Catches landed at the northern harbours fell by 38 percent over the same period.",
        "The coast guard lacks the fuel to patrol more than a third of the zone on any given day. "
        "Its four cutters were at sea on only 61 days in the second half of the year.",
    ],
    [
        "Findings",
        "Most incursions took place at night within twelve miles of the Saltmarsh Banks, where "
        "the shelf is shallow and the catch is richest.",
        "Fisheries Minister Adela Brun told the institute in February that the ministry had asked "
        "for two additional cutters in the 2008 budget.",
        "According to harbour masters in Port Oriel, at least 40 local boats have been laid up "
        "since the spring because their crews could not cover the cost of fuel.",
    ],
]

FIXTURE_REPORT = [
    [
        "Water Quality in the Lower Tamsin, 2009",
        "Fictional test report written for the provenance test suite.",
        "Samples taken at nine stations between April and September 2009 exceeded the nitrate "
        "limit on 23 of 54 sampling days.",
    ],
    [
        "The river authority said it would publish monthly readings from January 2010.",
        "Fish counts at the weir fell by a quarter compared with 2008.",
    ],
]


def main() -> None:
    write_text_pdf(
        ROOT / "sources" / "01-meridian-report-gulf-incursions.pdf",
        MERIDIAN_REPORT,
        {
            "Title": "Fishing Fleet Incursions in the Gulf of Velmora, 2007",
            "Author": "Meridian Institute for Maritime Studies",
            "Producer": "provenance sample generator",
            "CreationDate": "D:20080314090000",
        },
    )
    write_text_pdf(
        ROOT / "tests" / "fixtures" / "report.pdf",
        FIXTURE_REPORT,
        {
            "Title": "Water Quality in the Lower Tamsin, 2009",
            "Author": "Tamsin River Survey",
            "CreationDate": "D:20091102120000",
        },
    )


if __name__ == "__main__":
    main()
