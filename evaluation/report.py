"""What every runner returns and writes: a markdown table for people, a JSON payload for scripts, and optionally
side files (e.g. generated predictions, so a `--model` run can be re-scored later with `--predictions`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Report:
    name: str  # file stem: "levir_cc" -> levir_cc.md + levir_cc.json
    markdown: str
    payload: dict[str, Any]
    side_files: dict[str, Any] = field(default_factory=dict)  # file name -> JSON content

    def write(self, out_dir: str | Path) -> list[Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / f"{self.name}.md", out / f"{self.name}.json"]
        written[0].write_text(self.markdown, encoding="utf-8")
        written[1].write_text(json.dumps(self.payload, indent=2) + "\n", encoding="utf-8")
        for file_name, content in self.side_files.items():
            written.append(out / file_name)
            written[-1].write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return written


def number(value: float | None) -> str:
    """Two decimals, as the papers print; "–" where a score was not computed or is undefined."""
    return "–" if value is None else f"{value:.2f}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
