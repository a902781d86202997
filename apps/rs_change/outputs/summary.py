"""A short markdown report of a scene: how much changed and where to look first."""

from __future__ import annotations

from apps.rs_change.outputs.results import TileResult


def _cell(text: str) -> str:
    """Captions come from a model: keep them from breaking the table."""
    return " ".join(text.split()).replace("|", "\\|")


def summary_markdown(results: list[TileResult], *, top_n: int = 5, title: str = "Scene change summary") -> str:
    """Counts of analysed and changed tiles, then the `top_n` changed tiles by score with their captions."""
    changed = sorted((r for r in results if r.changed), key=lambda r: r.score, reverse=True)
    share = f" ({100 * len(changed) / len(results):.1f}%)" if results else ""
    lines = [f"# {title}", "", f"- Tiles analysed: {len(results)}", f"- Tiles with change: {len(changed)}{share}", ""]
    if not changed:
        lines.append("No tile was flagged as changed.")
        return "\n".join(lines) + "\n"
    lines += [f"## Most changed tiles (top {min(top_n, len(changed))})", "",
              "| # | tile (row, col) | score | caption |", "|---|---|---|---|"]
    for rank, result in enumerate(changed[:top_n], start=1):
        row, col = result.tile.index
        lines.append(f"| {rank} | ({row}, {col}) | {result.score:.3f} | {_cell(result.caption)} |")
    return "\n".join(lines) + "\n"
