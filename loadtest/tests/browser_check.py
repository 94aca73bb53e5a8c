"""Opens a load-test report in headless Chromium, as a user would, and checks what it shows.

Usage: browser_check.py REPORT_DIR [CHROMIUM]

REPORT_DIR holds report.html and report.json. The check dumps the DOM Chromium built and takes
a screenshot (REPORT_DIR/report.png, kept next to the report), then requires:
- no console message at all (the page has no scripts: any message is an error or a failed load);
- every chart has tick labels on its axes (numbers in its SVG text);
- the cost chart has one bar per cost part of report.json;
- no Markdown syntax shows as text (table pipes, rules, emphasis, headings);
- no http(s) URL in a src or href attribute (the report makes no requests).
"""

import html.parser
import json
import re
import subprocess
import sys
from pathlib import Path

BAR = "#4E79A7"  # the bar colour of loadtest/src/report/charts.rs
COST_PARTS = ["lambda_compute_arm64", "lambda_requests", "sqs_requests", "s3_put", "s3_get", "log_ingestion"]


class Page(html.parser.HTMLParser):
    """The visible text, each chart's text and bars, and every src/href value."""

    def __init__(self):
        super().__init__()
        self.text, self.links = [], []
        self.charts = {}  # id -> {"texts": [...], "bars": n}
        self.chart, self.in_text, self.skip = None, False, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [attrs[a] for a in ("src", "href") if a in attrs]
        if tag == "figure" and "chart" in (attrs.get("class") or ""):
            self.chart = attrs.get("id")
            self.charts[self.chart] = {"texts": [], "bars": 0}
        elif self.chart and tag == "rect" and (attrs.get("fill") or "").upper() == BAR:
            self.charts[self.chart]["bars"] += 1
        elif tag == "text":
            self.in_text = True
        elif tag in ("style", "title"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "figure":
            self.chart = None
        elif tag == "text":
            self.in_text = False
        elif tag in ("style", "title"):
            self.skip -= 1

    def handle_data(self, data):
        if self.skip:
            return
        if self.chart and self.in_text:
            self.charts[self.chart]["texts"].append(data.strip())
        elif not self.chart:
            self.text.append(data)


def chromium(binary, *args):
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=120,
    )


def main():
    report_dir = Path(sys.argv[1]).resolve()
    binary = sys.argv[2] if len(sys.argv) > 2 else "chromium"
    url = (report_dir / "report.html").as_uri()
    dump = chromium(binary, "--dump-dom", url)
    shot = chromium(binary, "--window-size=1200,7000", f"--screenshot={report_dir / 'report.png'}", url)
    failures = []
    for run in (dump, shot):
        failures += [f"console: {line}" for line in run.stderr.splitlines() if "CONSOLE" in line]
    if not (report_dir / "report.png").stat().st_size:
        failures.append("no screenshot")

    page = Page()
    page.feed(dump.stdout)
    if not page.charts:
        failures.append("no charts in the DOM")
    for chart, seen in page.charts.items():
        numbers = [t for t in seen["texts"] if re.fullmatch(r"-?[0-9][0-9.,]*", t)]
        if len(numbers) < 4:
            failures.append(f"chart {chart}: axes without tick labels ({seen['texts'][:8]})")
    parts = len(COST_PARTS)
    costs = json.loads((report_dir / "report.json").read_text())["cost_per_million_usd"]
    missing = [p for p in COST_PARTS if p not in costs]
    if missing:
        failures.append(f"report.json lacks cost parts {missing}")
    if page.charts.get("cost", {}).get("bars") != parts:
        failures.append(f"cost chart: {page.charts.get('cost', {}).get('bars')} bars for {parts} parts")
    text = "".join(page.text)
    for pattern, what in [(r"\|\s*-{3}", "a table rule"), (r"^\s*\|.*\|\s*$", "a table row"),
                          (r"\*\*\w", "emphasis"), (r"^#{1,6} ", "a heading")]:
        if re.search(pattern, text, re.M):
            failures.append(f"Markdown shows as text: {what}")
    failures += [f"a request for {link}" for link in page.links if re.match(r"\s*https?:", link)]

    if failures:
        sys.exit("report check failed:\n  " + "\n  ".join(failures))
    print(f"report check: {len(page.charts)} charts with tick labels, {parts} cost bars, "
          f"no console messages, no Markdown, no requests; screenshot {report_dir / 'report.png'}")


if __name__ == "__main__":
    main()
