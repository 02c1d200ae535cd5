"""The frames of the sliding-kernel figure: the input grid with the window under the kernel
highlighted, the kernel and the products, the multiply-and-add written out, and the output
matrix filling in. Plain text and positions in, palette images out: what the numbers mean is
decided above this layer (:mod:`convcli.filtering.animation`).

The drawing is kept in one RGB canvas that holds what stays (the grids, the output values
written so far); each frame is that canvas with the moving highlights drawn on top, reduced
to a fixed palette, and only the rectangle that changed since the frame before is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]
#: ``left, top, right, bottom`` in pixels, right and bottom exclusive (Pillow's box).
Box = tuple[int, int, int, int]
PAPER: RGB = (255, 255, 255)
INK: RGB = (24, 24, 24)
FAINT: RGB = (125, 125, 125)  #: indices and titles
RULE: RGB = (205, 205, 205)  #: grid lines
BORDER_PAPER: RGB = (232, 232, 236)  #: a sample that comes from the border rule ...
BORDER_INK: RGB = (168, 24, 150)  #: ... and its number
WINDOW_PAPER: RGB = (255, 222, 110)  #: a sample under a kernel tap
WINDOW_BORDER_PAPER: RGB = (250, 196, 232)  #: a border-rule sample under a tap
SPAN: RGB = (222, 104, 0)  #: the outline of the kernel's span
CURRENT_PAPER: RGB = (160, 215, 255)  #: the output sample being computed
#: The palette entry that means "unchanged since the last frame" (a colour nothing is near).
TRANSPARENT = 255
_UNUSED: RGB = (0, 255, 0)

#: Pillow's default font has no ×, → or −: what to write instead.
_FONT_SAFE = str.maketrans({"×": "x", "→": "->", "−": "-", "–": "-"})
MARGIN, GAP, CELL_HEIGHT, FONT_SIZE, TITLE_SIZE = 14, 30, 20, 12, 14
MAX_EQUATION_LINES = 4
_GRIDS = ("source", "kernel", "products", "output")


@dataclass(frozen=True)
class Grid:
    """A titled matrix of cells: their text, optional row and column labels, and the cells
    to mark as coming from the border rule."""

    title: str
    cells: Sequence[Sequence[str]]
    row_labels: Sequence[str] | None = None
    col_labels: Sequence[str] | None = None
    marked: npt.NDArray[np.bool_] | None = None
    sizing: Sequence[str] = ()  #: more texts the cells must fit (filled in later)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.cells), len(self.cells[0])


@dataclass(frozen=True)
class Slide:
    """What one frame shows on top of the standing grids."""

    taps: Sequence[tuple[int, int]] = ()  #: input-grid cells under the kernel's taps
    span: tuple[int, int, int, int] | None = None  #: first row, col, last row, col of the span
    output: tuple[int, int] | None = None  #: output cell being computed
    output_text: str = ""  #: its value, written into the output matrix from now on
    products: Sequence[Sequence[str]] = ()  #: kernel-shaped
    lines: Sequence[str] = ()  #: the multiply-and-add, written out


@dataclass
class _Panel:
    grid: Grid
    left: int
    top: int  #: top of the title
    cell_width: int
    label_width: int

    @property
    def cells_left(self) -> int:
        return self.left + self.label_width

    @property
    def cells_top(self) -> int:
        return self.top + CELL_HEIGHT + (CELL_HEIGHT - 4 if self.grid.col_labels else 0)

    @property
    def width(self) -> int:
        return self.label_width + self.grid.shape[1] * self.cell_width

    @property
    def height(self) -> int:
        return self.cells_top - self.top + self.grid.shape[0] * CELL_HEIGHT

    def cell(self, row: int, col: int) -> Box:
        left = self.cells_left + col * self.cell_width
        top = self.cells_top + row * CELL_HEIGHT
        return left, top, left + self.cell_width, top + CELL_HEIGHT


@dataclass
class SlidingFigure:
    """Draws the frames of one animation. ``frame`` returns the whole frame as a palette image
    (palette :func:`palette`, unchanged pixels not marked) and the box that changed."""

    heading: Sequence[str]
    source: Grid
    kernel: Grid
    products: Grid  #: empty cells, filled by each slide
    output: Grid  #: its cells are filled in as the slides name them
    _font: ImageFont.FreeTypeFont | ImageFont.ImageFont = field(init=False, repr=False)
    _canvas: Image.Image = field(init=False, repr=False)
    _shown: npt.NDArray[np.uint8] | None = field(init=False, default=None, repr=False)
    _moving: list[Box] = field(init=False, default_factory=list, repr=False)
    _tiles: dict[tuple[object, ...], Image.Image] = field(
        init=False, default_factory=dict, repr=False
    )
    _widths: dict[str, float] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from PIL import Image, ImageDraw, ImageFont

        self._font = ImageFont.load_default(size=FONT_SIZE)
        self._title_font = ImageFont.load_default(size=TITLE_SIZE)
        self._probe = Image.new("RGB", (1, 1))
        probe = ImageDraw.Draw(self._probe)
        self._panels = self._layout(probe)
        output = self._panels[3]
        bottom = max(panel.top + panel.height for panel in self._panels)
        right = max(panel.left + panel.width for panel in self._panels)
        heading_width = max(int(_length(probe, line, self._title_font)) for line in self.heading)
        self.width = max(right, MARGIN + heading_width) + MARGIN
        self._equation_top = bottom + 12
        self.height = self._equation_top + MAX_EQUATION_LINES * (FONT_SIZE + 5) + MARGIN
        self._canvas = Image.new("RGB", (self.width, self.height), PAPER)
        draw = ImageDraw.Draw(self._canvas)
        for number, line in enumerate(self.heading):
            _put(draw, (MARGIN, MARGIN + number * (TITLE_SIZE + 6)), line, INK, self._title_font)
        for panel in self._panels:
            self._draw_panel(draw, panel, filled=panel is not output)
        self._palette = palette()
        #: every colour's nearest palette index, learnt as colours appear (TRANSPARENT: not yet)
        self._colours = np.frombuffer(self._palette, dtype=np.uint8).reshape(256, 3)[:TRANSPARENT]
        self._nearest = np.full(1 << 24, TRANSPARENT, dtype=np.uint8)

    @property
    def equation_width(self) -> int:
        """The room for one line of the written-out multiply-and-add, in pixels."""
        return self.width - 2 * MARGIN

    def cell_box(self, grid: str, row: int, col: int) -> Box:
        """Where cell (``row``, ``col``) of the grid named ``source``, ``kernel``,
        ``products`` or ``output`` is drawn, outline included."""
        left, top, right, bottom = self._panels[_GRIDS.index(grid)].cell(row, col)
        return left, top, right + 1, bottom + 1

    def text_width(self, text: str) -> float:
        """How wide ``text`` is drawn, in pixels (remembered: the same numbers recur)."""
        from PIL import ImageDraw

        width = self._widths.get(text)
        if width is None:
            width = self._widths[text] = _length(ImageDraw.Draw(self._probe), text, self._font)
        return width

    def frame(self, slide: Slide) -> tuple[Image.Image, tuple[int, int]]:
        """The part of the frame for ``slide`` that differs from the frame before (the whole
        frame the first time) as a palette image, and where it goes; the pixels in it that did
        not change are TRANSPARENT.

        The slide is drawn on the canvas itself, the boxes it covers saved first and put back
        after, so no frame-sized copy is made."""
        source, _, products, output = self._panels
        if slide.output is not None and slide.output_text:
            self._paint(output, *slide.output, slide.output_text, PAPER, RULE, INK)
        moving = self._boxes(slide, source, products, output)
        saved = [(box, self._canvas.crop(box)) for box in moving]
        self._draw_slide(slide, source, products, output)
        previous, self._moving = self._moving, moving
        if self._shown is None:
            self._shown = self._quantized(self._canvas)
            self._restore(saved)
            return self._image(self._shown), (0, 0)
        redrawn = moving + previous
        shown = self._shown.copy()
        for left, top, right, bottom in redrawn:
            patch = self._quantized(self._canvas.crop((left, top, right, bottom)))
            shown[top:bottom, left:right] = patch
        self._restore(saved)
        left, top, right, bottom = _union(redrawn) or (0, 0, 1, 1)
        changed = shown[top:bottom, left:right].copy()
        changed[changed == self._shown[top:bottom, left:right]] = TRANSPARENT
        self._shown = shown
        return self._image(changed), (left, top)

    def _restore(self, saved: list[tuple[Box, Image.Image]]) -> None:
        """Put back what a slide covered, last box first."""
        for box, content in reversed(saved):
            self._canvas.paste(content, box[:2])

    def _boxes(self, slide: Slide, source: _Panel, products: _Panel, output: _Panel) -> list[Box]:
        """The boxes ``slide`` draws over the standing canvas."""
        boxes: list[Box] = []
        if slide.span is not None:
            first_row, first_col, last_row, last_col = slide.span
            left, top, _, _ = source.cell(first_row, first_col)
            _, _, right, bottom = source.cell(last_row, last_col)
            boxes.append((left - 2, top - 2, right + 2, bottom + 2))
        if slide.output is not None:
            left, top, right, bottom = output.cell(*slide.output)
            boxes.append((left, top, right + 1, bottom + 1))
        if slide.products:
            boxes.append((products.cells_left, products.cells_top, *_far_corner(products)))
        if slide.lines:
            widest = max(self.text_width(line) for line in slide.lines[:MAX_EQUATION_LINES])
            boxes.append(
                (
                    MARGIN - 2,
                    self._equation_top - 2,
                    MARGIN + int(widest) + 6,
                    self._equation_top + MAX_EQUATION_LINES * (FONT_SIZE + 5) + 4,
                )
            )
        return [_clamped(box, self.width, self.height) for box in boxes]

    def _draw_slide(self, slide: Slide, source: _Panel, products: _Panel, output: _Panel) -> None:
        from PIL import ImageDraw

        marked = source.grid.marked
        for row, col in slide.taps:
            outside = marked is not None and bool(marked[row, col])
            paper = WINDOW_BORDER_PAPER if outside else WINDOW_PAPER
            ink = BORDER_INK if outside else INK
            self._paint(source, row, col, source.grid.cells[row][col], paper, RULE, ink)
        draw = ImageDraw.Draw(self._canvas)
        if slide.span is not None:
            first_row, first_col, last_row, last_col = slide.span
            left, top, _, _ = source.cell(first_row, first_col)
            _, _, right, bottom = source.cell(last_row, last_col)
            draw.rectangle((left - 1, top - 1, right, bottom), outline=SPAN, width=2)
        if slide.output is not None:
            self._paint(output, *slide.output, slide.output_text, CURRENT_PAPER, SPAN, INK)
        for row, texts in enumerate(slide.products):
            for col, text in enumerate(texts):
                self._paint(products, row, col, text, PAPER, RULE, INK)
        for number, line in enumerate(slide.lines[:MAX_EQUATION_LINES]):
            top = self._equation_top + number * (FONT_SIZE + 5)
            _put(draw, (MARGIN, top), line, INK, self._font)

    def _image(self, indices: npt.NDArray[np.uint8]) -> Image.Image:
        from PIL import Image

        image = Image.fromarray(indices, "P")
        image.putpalette(self._palette)
        return image

    def _quantized(self, picture: Image.Image) -> npt.NDArray[np.uint8]:
        """Each pixel's nearest palette colour, exactly (Pillow's own mapping shares one index
        among nearby colours: white could come out as 252, 252, 252)."""
        rgb = np.asarray(picture, dtype=np.uint32)
        packed = (rgb[:, :, 0] << 16) | (rgb[:, :, 1] << 8) | rgb[:, :, 2]
        indices: npt.NDArray[np.uint8] = self._nearest[packed]
        unknown = indices == TRANSPARENT
        if unknown.any():
            colours = np.unique(packed[unknown])
            split = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], axis=1)
            distance = ((split[:, None, :].astype(np.int64) - self._colours[None]) ** 2).sum(2)
            self._nearest[colours] = np.argmin(distance, axis=1).astype(np.uint8)
            indices = self._nearest[packed]
        return indices

    def _layout(self, probe: ImageDraw.ImageDraw) -> list[_Panel]:
        top = MARGIN + len(self.heading) * (TITLE_SIZE + 6) + 8

        def cell(grid: Grid) -> int:
            texts = [text for row in grid.cells for text in row] + list(grid.sizing)
            return max(26, 10 + max(int(_length(probe, text, self._font)) for text in texts))

        def labels(grid: Grid) -> int:
            if not grid.row_labels:
                return 0
            return 8 + max(int(_length(probe, t, self._font)) for t in grid.row_labels)

        source = _Panel(self.source, MARGIN, top, cell(self.source), labels(self.source))
        middle = source.left + source.width + GAP
        kernel = _Panel(self.kernel, middle, top, cell(self.kernel), 0)
        products = self.products
        below = _Panel(products, middle, kernel.top + kernel.height + 12, cell(products), 0)
        title_width = max(
            _length(probe, text, self._font) for text in (self.kernel.title, products.title)
        )
        right = middle + max(kernel.width, below.width, int(title_width)) + GAP
        output = _Panel(self.output, right, top, cell(self.output), labels(self.output))
        return [source, kernel, below, output]

    def _draw_panel(self, draw: ImageDraw.ImageDraw, panel: _Panel, filled: bool) -> None:
        grid = panel.grid
        _put(draw, (panel.left, panel.top), grid.title, FAINT, self._font)
        if grid.col_labels:
            for col, label in enumerate(grid.col_labels):
                left, top, right, _ = panel.cell(0, col)
                width = self.text_width(label)
                _put(draw, (right - 4 - width, top - CELL_HEIGHT + 4), label, FAINT, self._font)
        for row in range(grid.shape[0]):
            if grid.row_labels:
                left, top, _, _ = panel.cell(row, 0)
                label = grid.row_labels[row]
                width = self.text_width(label)
                _put(draw, (left - 6 - width, top + 3), label, FAINT, self._font)
            for col in range(grid.shape[1]):
                outside = grid.marked is not None and bool(grid.marked[row, col])
                text = grid.cells[row][col] if filled else ""
                paper, ink = (BORDER_PAPER, BORDER_INK) if outside else (PAPER, INK)
                self._paint(panel, row, col, text, paper, RULE, ink)

    def _paint(
        self, panel: _Panel, row: int, col: int, text: str, paper: RGB, rule: RGB, ink: RGB
    ) -> None:
        """One cell on the canvas: its paper, its outline and its text, right-aligned."""
        left, top, _, _ = panel.cell(row, col)
        self._canvas.paste(self._tile(panel.cell_width, text, paper, rule, ink), (left, top))

    def _tile(self, width: int, text: str, paper: RGB, rule: RGB, ink: RGB) -> Image.Image:
        """A cell drawn once and reused: a frame repaints the same few dozen cells."""
        from PIL import Image, ImageDraw

        key = (width, text, paper, rule, ink)
        tile = self._tiles.get(key)
        if tile is None:
            tile = Image.new("RGB", (width + 1, CELL_HEIGHT + 1), paper)
            draw = ImageDraw.Draw(tile)
            draw.rectangle((0, 0, width, CELL_HEIGHT), outline=rule)
            if text:
                _put(draw, (width - 5 - self.text_width(text), 3), text, ink, self._font)
            self._tiles[key] = tile
        return tile


def palette() -> bytes:
    """The frames' 256 colours: each text colour blended over each paper it is drawn on (so
    anti-aliased edges keep their shade), the fills, and TRANSPARENT last."""
    pairs = [
        (PAPER, INK),
        (PAPER, FAINT),
        (PAPER, SPAN),
        (BORDER_PAPER, BORDER_INK),
        (WINDOW_PAPER, INK),
        (WINDOW_BORDER_PAPER, BORDER_INK),
        (CURRENT_PAPER, INK),
        (BORDER_PAPER, RULE),
        (WINDOW_PAPER, RULE),
        (CURRENT_PAPER, SPAN),
        (PAPER, RULE),
    ]
    colours: list[RGB] = []
    for paper, ink in pairs:
        for step in range(20):
            share = step / 19
            colour = tuple(round(p + (i - p) * share) for p, i in zip(paper, ink, strict=True))
            if colour not in colours:
                colours.append(colour)  # type: ignore[arg-type]
    colours = colours[:TRANSPARENT]
    colours += [PAPER] * (TRANSPARENT - len(colours)) + [_UNUSED]
    return bytes(channel for colour in colours for channel in colour)


def _put(
    draw: ImageDraw.ImageDraw,
    where: tuple[float, float],
    text: str,
    ink: RGB,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
) -> None:
    draw.text(where, text.translate(_FONT_SAFE), ink, font)


def _length(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont
) -> float:
    return draw.textlength(text.translate(_FONT_SAFE), font=font)


def _far_corner(panel: _Panel) -> tuple[int, int]:
    return panel.left + panel.width + 1, panel.top + panel.height + 1


def _clamped(box: Box, width: int, height: int) -> Box:
    left, top, right, bottom = box
    return max(0, left), max(0, top), min(width, right), min(height, bottom)


def _union(boxes: list[Box]) -> Box | None:
    if not boxes:
        return None
    return (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )
