#!/usr/bin/env python3
"""Checks the structure of a `warden reproduce` report directory.

Not its values: that every section is in both index.html and report.md, that
every figure and output it links exists (figures are SVG), that every
comparison has a verdict and a number, and that every number in every table
parses as a finite number.

    tools/ci/check_report.py DIR [--sections=a,b,...]
"""
import argparse
import html.parser
import math
import os
import re
import sys

VERDICTS = {"reproduces", "does not reproduce", "ours only"}
# A token that looks like a number: must parse, and be finite.
NUMBER = re.compile(r"(?<![\d.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\d.])")
# Digits with two decimal points: a number that was garbled.
GARBLED = re.compile(r"(?<![§\d.])\d+\.\d*\.\d")  # not a section number (§5.6.1)
BAD_WORDS = re.compile(r"\b(nan|inf|NaN|Inf)\b")


class Tables(html.parser.HTMLParser):
    """Collects every table (caption, header, rows), section ids and links."""

    def __init__(self):
        super().__init__()
        self.tables, self.sections, self.links = [], [], []
        self._table = None
        self._cell = None
        self._row = None
        self._in_caption = False
        self._header_row = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id", ""))
        elif tag == "table":
            self._table = {"caption": "", "header": [], "rows": [], "class": attrs.get("class", "")}
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._header_row = False
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
            self._header_row = self._header_row or tag == "th"
        elif tag == "img":
            self.links.append(("figure", attrs.get("src", "")))
        elif tag == "a" and attrs.get("href", "").endswith(".txt"):
            self.links.append(("output", attrs["href"]))

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._header_row:
                self._table["header"] = self._row
            else:
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None

    def handle_data(self, data):
        if self._in_caption and self._table is not None:
            self._table["caption"] += data
        elif self._cell is not None:
            self._cell += data


def check(directory, sections):
    errors = []
    index = os.path.join(directory, "index.html")
    markdown = os.path.join(directory, "report.md")
    for path in (index, markdown):
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            return [f"{path} is missing or empty"]
    page = Tables()
    page.feed(open(index, encoding="utf-8").read())
    md = open(markdown, encoding="utf-8").read()
    for section in sections:
        if section not in page.sections:
            errors.append(f"index.html has no section {section}")
        if f'<a id="{section}"></a>' not in md:
            errors.append(f"report.md has no section {section}")
    if not page.tables:
        errors.append("index.html has no tables")
    for kind, link in page.links:
        path = os.path.join(directory, link)
        if not os.path.isfile(path):
            errors.append(f"{kind} {link} does not exist")
        elif kind == "figure":
            head = open(path, encoding="utf-8", errors="replace").read(200).lstrip()
            if not (head.startswith("<svg") or head.startswith("<?xml")):
                errors.append(f"figure {link} is not an SVG")
        if f"({link})" not in md:
            errors.append(f"report.md does not link {link}")
    comparisons = 0
    for table in page.tables:
        where = table["caption"] or "a table"
        for row in table["rows"]:
            if table["header"] and len(row) != len(table["header"]):
                errors.append(f"{where}: a row of {len(row)} cells under {len(table['header'])} headers")
                continue
            cells = row if table["class"] != "machine" else []
            for cell in cells:
                if BAD_WORDS.search(cell) or GARBLED.search(cell):
                    errors.append(f"{where}: '{cell}' is not a finite number")
                for token in NUMBER.findall(cell):
                    try:
                        if not math.isfinite(float(token)):
                            errors.append(f"{where}: '{token}' is not finite")
                    except ValueError:
                        errors.append(f"{where}: '{token}' does not parse")
            if table["class"] == "comparisons":
                comparisons += 1
                quantity, _, ours, verdict = row[:4]
                if verdict not in VERDICTS:
                    errors.append(f"{quantity}: verdict '{verdict}'")
                if not NUMBER.search(ours):
                    errors.append(f"{quantity}: ours '{ours}' has no number")
    if comparisons == 0:
        errors.append("no comparison with the papers")
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--sections", default="smoothing,itd,lazarus,seg_attacks,reaas,secure_learning")
    args = parser.parse_args()
    errors = check(args.directory, [s for s in args.sections.split(",") if s])
    for error in errors:
        print("report:", error)
    if errors:
        return 1
    print(f"report: {args.directory} is well formed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
