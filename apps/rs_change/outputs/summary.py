"""A short markdown report of a scene: how much changed, where to look first, and where caption and p(change)
disagree."""

from __future__ import annotations

from apps.rs_change.outputs.results import TileResult


def _cell(text: str) -> str:
    """Captions come from a model: keep them from breaking the table."""
    return " ".join(text.split()).replace("|", "\\|")


def summary_markdown(results: list[TileResult], *, top_n: int = 5, title: str = "Scene change summary") -> str:
    """Counts of analysed and changed tiles, the `top_n` changed tiles by p(change) then changed area, with their
    captions, and the tiles whose caption disagrees with their flag."""
    changed = sorted((r for r in results if r.changed), key=lambda r: r.rank, reverse=True)
    share = f" ({100 * len(changed) / len(results):.1f}%)" if results else ""
    lines = [f"# {title}", "", f"- Tiles analysed: {len(results)}", f"- Tiles with change: {len(changed)}{share}", ""]
    if not changed:
        lines += ["No tile was flagged as changed.", ""]
    else:
        lines += [f"## Most changed tiles (top {min(top_n, len(changed))})", "",
                  "| # | tile (row, col) | p(change) | changed area | caption |", "|---|---|---|---|---|"]
        for rank, result in enumerate(changed[:top_n], start=1):
            row, col = result.tile.index
            lines.append(f"| {rank} | ({row}, {col}) | {result.score:.3f} | {100 * result.area:.1f}% | "
                         f"{_cell(result.caption)} |")
        lines.append("")
    disagreeing = [r for r in results if r.note]
    if disagreeing:
        lines += [f"## Caption and p(change) disagree on {len(disagreeing)} tile(s)", ""]
        lines += [f"- ({r.tile.index[0]}, {r.tile.index[1]}): {r.note} (caption: \"{_cell(r.caption)}\")"
                  for r in disagreeing[:top_n]]
        lines.append("")
    return "\n".join(lines)
