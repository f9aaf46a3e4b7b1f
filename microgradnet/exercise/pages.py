"""Sheets and keys as pages: self-contained HTML (the primary format, printable on A4 or
Letter) and Markdown (for course platforms).

    sheet_html([variant], paper)   the question sheet: the question in the notes' notation, the
                                   graph with blanks, a name field, the blanks to fill
    key_html(variants, paper)      the answer key: the filled graph, the numbers and formulas,
                                   the chain rule path by path (explain's text); one section per
                                   variant (a class set's key holds them all)
    sheet_markdown / key_markdown  the same as Markdown, the figures as SVG files beside it

The HTML holds everything it shows: the figures are inline SVG, the math Unicode text, the
style in the page; nothing is fetched. No date or time is written, figure ids are prefixed
with the variant's number, so a seed always gives the same bytes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import quote

from .._format import markdown_text
from ..chain_rule import explain
from .blanks import chain_formula, derivative_name
from .figures import inline_svg, key_figure, sheet_figure
from .grading import expected_text
from .variants import Variant

PAPERS = {"a4": "A4", "letter": "letter"}
MM_PER_PT = 25.4 / 72
INLINE_BOX = (178.0, 95.0)  # mm: a figure in the text
PORTRAIT_BOX = (178.0, 232.0)  # mm: a page of its own (Letter's is a little smaller)
LANDSCAPE_BOX = (265.0, 165.0)
READABLE = 0.6  # a figure shown at this scale or more stays in the text
_SIZE = re.compile(r'<svg[^>]*?\bwidth="([0-9.]+)pt"[^>]*?\bheight="([0-9.]+)pt"')
NOTICE = (
    "This is practice, not an exam: the answers live in the files (the key, and the answer "
    "file the checker reads)."
)
KEY_CAPTION = "The graph filled in: values, gradients, and the local derivative on each edge."
FORMULAS = (
    "Formulas are written as in Python: + − * / ** and exp, log, sqrt, tanh, sigmoid, relu; "
    "use the names below (a formula is checked at many points, not only at these numbers)."
)

_STYLE = """\
@page {{ size: {paper}; margin: 12mm 15mm; }}
@page landscape {{ size: {paper} landscape; margin: 12mm; }}
body {{ font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 10.5pt;
  line-height: 1.45; color: #111; max-width: 178mm; margin: 0 auto; padding: 6mm 0; }}
h1 {{ font-size: 15pt; margin: 0 0 1mm; }}
h2 {{ font-size: 12pt; margin: 5mm 0 2mm; }}
h3 {{ font-size: 10.5pt; margin: 3mm 0 1mm; }}
.meta {{ color: #555; font-size: 9pt; margin: 0 0 3mm; }}
.name {{ display: flex; gap: 6mm; margin: 3mm 0 4mm; }}
.name span {{ flex: 1; border-bottom: 1px solid #333; }}
.name span.date {{ flex: 0 0 40mm; }}
figure {{ margin: 3mm 0; text-align: center; break-inside: avoid; }}
figure svg {{ max-width: 100%; width: auto; height: auto; }}
figure.inline svg {{ max-height: 95mm; }}
figure.portrait {{ break-before: page; }}
figure.portrait svg {{ max-height: 232mm; }}
figure.landscape {{ page: landscape; break-before: page; }}
figure.landscape svg {{ max-height: 165mm; }}
figcaption {{ font-size: 8.5pt; color: #555; }}
table {{ width: 100%; border-collapse: collapse; break-inside: auto; }}
td, th {{ padding: 1.6mm 1.5mm; border-bottom: 1px solid #bbb; text-align: left;
  vertical-align: bottom; }}
tr {{ break-inside: avoid; }}
td.label {{ width: 7mm; color: #555; }}
td.line {{ width: 42%; border-bottom: 1px solid #222; }}
td.id, code {{ font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }}
pre {{ font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; white-space: pre-wrap;
  background: #f4f4f4; padding: 2mm 3mm; margin: 1mm 0 3mm; break-inside: avoid; }}
.note {{ font-size: 9pt; color: #333; }}
section.variant + section.variant {{ break-before: page; }}
@media print {{ body {{ padding: 0; max-width: none; }} }}
"""


def sheet_html(variant: Variant, paper: str = "a4", answers_file: str = "") -> str:
    """The question sheet of variant as one self-contained HTML page."""
    body = _sheet_body(variant, answers_file, "f1")
    return _document(f"{variant.template.title} — {variant.spec.code}", body, paper)


def key_html(variants: Sequence[Variant], paper: str = "a4", title: str = "") -> str:
    """The answer key of the variants (one section each) as one self-contained HTML page."""
    sections = [_key_body(v, f"k{k}") for k, v in enumerate(variants, 1)]
    heading = title or f"Answer key — {variants[0].spec.code}"
    return _document(heading, "\n".join(sections), paper)


def _document(title: str, body: str, paper: str) -> str:
    style = _STYLE.format(paper=PAPERS[paper])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>\n{style}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def _sheet_body(variant: Variant, answers_file: str, prefix: str) -> str:
    spec = variant.spec
    who = f" · {_e(spec.student)}" if spec.student else ""
    rows = "\n".join(
        f'<tr><td class="label">({_letter(k)})</td><td>{_e(b.asked)}</td>'
        f'<td class="line"></td><td class="id">{_e(b.id)}</td></tr>'
        for k, b in enumerate(variant.setup.blanks)
    )
    drawn = sheet_figure(variant)
    svg = inline_svg(drawn.dot, prefix)
    where = placement(svg)
    caption = _e(sheet_caption(variant))
    figure = f'<figure class="{where}">{svg}\n<figcaption>{caption}</figcaption></figure>'

    before, after = (figure, "") if where == "inline" else ("", figure)
    return f"""<section class="variant">
<h1>{_e(variant.template.title)}</h1>
<p class="meta">Practice sheet · {_e(spec.code)}{who}</p>
<p class="name">Name <span></span> Date <span class="date"></span></p>
{_paragraphs(variant.setup.question)}
{before}
<h2>Your answers</h2>
<table>
<tr><th></th><th>asked</th><th>your answer</th><th>id</th></tr>
{rows}
</table>
<p class="note">{_e(FORMULAS)} Names: {_e(names_text(variant))}.</p>
<p class="note">{_e(check_text(answers_file))} {_e(NOTICE)}</p>
{after}
</section>"""


def placement(svg: str) -> str:
    """Where a figure goes: "inline" (in the text, at 60% or more of its size), else a page of
    its own, "portrait" or "landscape", whichever shows it larger."""
    match = _SIZE.search(svg)
    if match is None:
        return "inline"
    width, height = (float(match[k]) * MM_PER_PT for k in (1, 2))

    def scale(box_width: float, box_height: float) -> float:
        return min(1.0, box_width / width, box_height / height)

    if scale(*INLINE_BOX) >= READABLE:
        return "inline"
    return "portrait" if scale(*PORTRAIT_BOX) >= scale(*LANDSCAPE_BOX) else "landscape"


def sheet_caption(variant: Variant) -> str:
    """The figure's caption: what the blanks are."""
    return (
        "The computation graph: each box holds a value and its gradient "
        f"∂{variant.graph.root.label}/∂(·); the blanks are yours to fill in, and the local "
        "derivatives are left for you."
    )


def check_text(answers_file: str) -> str:
    if not answers_file:
        return "Check your answers with microgradnet's exercise checker."
    return (
        f"To check your answers, write them into {answers_file} (numbers, or formulas in "
        f'quotes) and run: microgradnet exercise check "{answers_file}".'
    )


def names_text(variant: Variant) -> str:
    """The names a formula may use, with how the notes write them where that differs."""
    program = variant.setup.program
    items = []
    for n in (*program.names().values(), *(s.name for s in program.extras)):
        items.append(n.alias if n.alias == n.shown else f"{n.alias} for {n.shown}")
    return ", ".join(items)


def _key_body(variant: Variant, prefix: str) -> str:
    spec = variant.spec
    who = f" · {_e(spec.student)}" if spec.student else ""
    rows = "\n".join(
        f'<tr><td class="label">({_letter(k)})</td><td>{_e(b.asked)}</td>'
        f"<td>{_e(expected_text(variant, b))}</td>"
        f'<td class="id">{_e(b.id)}</td></tr>'
        for k, b in enumerate(variant.setup.blanks)
    )
    svg = inline_svg(key_figure(variant), prefix)
    caption = f"<figcaption>{_e(KEY_CAPTION)}</figcaption>"
    figure = f'<figure class="{placement(svg)}">{svg}\n{caption}</figure>'
    chains = "\n".join(
        f"<h3>{_e(title)}</h3>\n<pre>{_e(text)}</pre>" for title, text in chain_rules(variant)
    )
    return f"""<section class="variant">
<h1>Answer key: {_e(variant.template.title)}</h1>
<p class="meta">{_e(spec.code)}{who} · {_e(NOTICE)}</p>
{_paragraphs(variant.setup.question)}
{figure}
<h2>Answers</h2>
<table>
<tr><th></th><th>asked</th><th>answer</th><th>id</th></tr>
{rows}
</table>
<h2>The chain rule, path by path</h2>
{chains}
</section>"""


def chain_rules(variant: Variant) -> list[tuple[str, str]]:
    """(heading, explain's text) for each gradient asked, with the local derivatives' formulas
    multiplied out along the paths."""
    graph = variant.graph
    seen: list[str] = []
    out = []
    for blank in variant.setup.blanks:
        if blank.kind == "value" or blank.of in seen:
            continue
        seen.append(blank.of)
        e = explain(graph.root, graph.nodes[blank.of])
        formula = f"{derivative_name(graph, blank.of)} = {chain_formula(e)}"
        out.append((derivative_name(graph, blank.of), f"{e}\n\nas a formula: {formula}"))
    return out


def sheet_markdown(variant: Variant, figure_file: str, answers_file: str = "") -> str:
    """The question sheet as Markdown; the figure is the SVG file figure_file beside it, drawn
    with its blanks."""
    spec = variant.spec
    lines = [
        f"# {_m(variant.template.title)}",
        "",
        f"*Practice sheet · {_m(spec.code)}{' · ' + _m(spec.student) if spec.student else ''}*",
        "",
        "Name: ______________________________  Date: ______________",
        "",
        *_markdown_paragraphs(variant.setup.question),
        f"![The computation graph with blanks]({_link(figure_file)})",
        "",
        _m(sheet_caption(variant)),
        "",
        "| | asked | your answer | id |",
        "|---|---|---|---|",
        *(
            f"| ({_letter(k)}) | {_cell(b.asked)} | | `{b.id}` |"
            for k, b in enumerate(variant.setup.blanks)
        ),
        "",
        _m(f"{FORMULAS} Names: {names_text(variant)}."),
        "",
        _m(f"{check_text(answers_file)} {NOTICE}"),
        "",
    ]
    return "\n".join(lines)


def key_markdown(variants: Sequence[Variant], figure_files: Sequence[str]) -> str:
    """The answer key as Markdown, one section per variant, figures as SVG files."""
    parts = []
    for variant, figure in zip(variants, figure_files):
        spec = variant.spec
        who = f" · {_m(spec.student)}" if spec.student else ""
        parts += [
            f"# Answer key: {_m(variant.template.title)}",
            "",
            f"*{_m(spec.code)}{who} · {_m(NOTICE)}*",
            "",
            *_markdown_paragraphs(variant.setup.question),
            f"![The computation graph filled in]({_link(figure)})",
            "",
            "| | asked | answer | id |",
            "|---|---|---|---|",
            *(
                f"| ({_letter(k)}) | {_cell(b.asked)} | {_cell(expected_text(variant, b))} "
                f"| `{b.id}` |"
                for k, b in enumerate(variant.setup.blanks)
            ),
            "",
            "## The chain rule, path by path",
            "",
        ]
        for title, text in chain_rules(variant):
            parts += [f"### {_m(title)}", "", "```text", text, "```", ""]
    return "\n".join(parts)


def _paragraphs(texts: Sequence[str]) -> str:
    return "\n".join(f"<p>{_e(t)}</p>" for t in texts)


def _markdown_paragraphs(texts: Sequence[str]) -> list[str]:
    out = []
    for t in texts:
        out += [_m(t), ""]
    return out


def _letter(k: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[k] if k < 26 else str(k + 1)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _m(text: str) -> str:
    return markdown_text(text)


def _cell(text: str) -> str:
    return _m(text)  # markdown_text escapes | too: the table's cells stay whole


def _link(name: str) -> str:
    """A relative link to a file beside the page (percent-encoded)."""
    return quote(name)
