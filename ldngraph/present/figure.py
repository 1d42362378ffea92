"""What every static figure shares: the file formats, one atomic save (300 dpi PNG, SVG with text
kept as text, PDF), safe label text and the clipping check.

matplotlib is imported only inside the functions that draw or save, so other commands start fast.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ldngraph.atomic import write_with_atomic
from ldngraph.errors import ExportError, printable
from ldngraph.limits import FIGURE_PIXELS, LABEL_CHARS, LimitError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
#: Raster resolution of every PNG (journals ask for 300 dpi at print size).
DPI = 300
#: Labels longer than this are cut with an ellipsis (a figure is not the place for a whole title).
LABEL_MAX = 48


def get_format(path: Path | str, fmt: str | None = None) -> str:
    """The image format of ``path``: ``fmt`` if given (png/svg/pdf), else from the suffix; stdout is PNG."""
    if fmt is not None:
        if fmt not in FORMATS.values():
            raise ExportError(f"unknown image format '{fmt}'; use png, svg or pdf")
        return fmt
    suffix = ".png" if str(path) == "-" else Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"{path}: unknown image suffix '{suffix}'; use one of {', '.join(FORMATS)}")
    return FORMATS[suffix]


def get_paths(path: Path | str, formats: Iterable[str] | None = None) -> list[tuple[Path, str]]:
    """(path, format) pairs to write: ``path`` by its suffix, or, with ``formats`` (e.g. png, svg,
    pdf), one file per format with ``path``'s stem (``fig.png`` -> ``fig.png, fig.svg, fig.pdf``)."""
    chosen = list(formats or ())
    if not chosen:
        return [(Path(path), get_format(path))]
    if str(path) == "-":
        raise ExportError("-o - writes one image to stdout; give a file name to write several formats")
    base = Path(path)
    stem = base.with_suffix("") if base.suffix.lower() in FORMATS else base
    out = []
    for fmt in dict.fromkeys(chosen):
        get_format(base, fmt)
        out.append((stem.with_name(f"{stem.name}.{fmt}"), fmt))
    return out


def safe_text(text: str, limit: int = LABEL_MAX) -> str:
    """Figure text: one line, control characters shown as escapes, cut at ``limit`` characters
    (and never longer than ``LDNGRAPH_MAX_LABEL_CHARS``), ``$`` escaped so matplotlib never reads
    record text as mathtext (issue 27 F4, F13: two ``$`` crashed every figure, a 120 KB label asked
    for a multi-GB raster)."""
    one = printable(" ".join(str(text).split()))
    limit = min(limit, LABEL_CHARS.as_int())
    if len(one) > limit:
        one = one[: max(limit - 1, 0)].rstrip() + "…"
    return one.replace("$", r"\$")


def check_canvas(fig: Figure, shown: str, *, tight: bool = False) -> None:
    """Refuse a figure whose canvas (its tight bounding box, if ``tight``) is larger than
    ``LDNGRAPH_MAX_FIGURE_PIXELS`` at :data:`DPI` (issue 27 F13): labels are cut, but a figure of
    thousands of rows still grows. ``shown`` names the output. Called before anything is written."""
    if tight:
        box = fig.get_tightbbox()
        width, height = box.width * DPI, box.height * DPI
    else:
        width, height = (float(v) * DPI for v in fig.get_size_inches())
    if width * height > FIGURE_PIXELS.get():
        raise LimitError(
            f"{shown}: the figure would be {width:.0f} x {height:.0f} pixels, more than the "
            f"{FIGURE_PIXELS.hint()}"
        )


def use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")


def _saver(fig: Figure, fmt: str, dpi: int = DPI) -> Any:
    import matplotlib

    # No creation date in SVG/PDF, a fixed hash salt: the same data draws the same file.
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
    if fmt == "pdf":
        metadata = {"CreationDate": None, "ModDate": None}

    def save(handle: Any) -> None:
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ldngraph", "pdf.fonttype": 42}):
            fig.savefig(handle, format=fmt, dpi=dpi, metadata=metadata)

    return save


def save_figure(fig: Figure, path: Path | str, fmt: str | None = None) -> Path:
    """Write ``fig`` to ``path`` atomically (format from ``fmt`` or the suffix; ``-``: stdout)."""
    fmt = get_format(path, fmt)
    check_canvas(fig, str(path))
    return write_with_atomic(path, _saver(fig, fmt))


def write_figure(fig: Figure, path: Path | str, formats: Iterable[str] | None = None) -> list[Path]:
    """Write ``fig`` once per format (see :func:`get_paths`); returns the files written."""
    return [save_figure(fig, target, fmt) for target, fmt in get_paths(path, formats)]


def to_bytes(fig: Figure, fmt: str = "png", *, dpi: int = DPI) -> bytes:
    """The figure as bytes (for embedding as a data: URI)."""
    check_canvas(fig, "an embedded figure")
    buffer = io.BytesIO()
    _saver(fig, fmt, dpi)(buffer)
    return buffer.getvalue()


def get_overflow(fig: Figure) -> tuple[float, float, float, float]:
    """How far (inches) the drawn content reaches past the canvas: (left, bottom, right, top), the
    worst of a draw at 72 dpi (SVG, PDF) and at :data:`DPI` (PNG); all zero when no text is
    clipped at the figure edge. Text metrics change with the resolution, so both are checked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    worst = [0.0, 0.0, 0.0, 0.0]
    before = fig.get_dpi()
    width, height = fig.get_size_inches()
    try:
        for dpi in (72, DPI):
            fig.set_dpi(dpi)
            renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]
            fig.draw(renderer)
            tight = fig.get_tightbbox(renderer)
            over = (-tight.x0, -tight.y0, tight.x1 - width, tight.y1 - height)
            worst = [max(w, o) for w, o in zip(worst, over, strict=True)]
    finally:
        fig.set_dpi(before)
    left, bottom, right, top = worst
    return (left, bottom, right, top)


__all__ = [
    "DPI",
    "FORMATS",
    "LABEL_MAX",
    "check_canvas",
    "get_format",
    "get_overflow",
    "get_paths",
    "safe_text",
    "save_figure",
    "to_bytes",
    "use_agg",
    "write_figure",
]
