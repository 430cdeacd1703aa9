"""The printable form of a questionnaire: one self-contained HTML page for A4 paper.

``render_form("exit", "ru")`` lays out a template (see :mod:`playbook.survey.questionnaire`)
in Russian or English: its title and intro, fields for the customer, the contact person and
the date when the template identifies the customer, each question with boxes to tick or
lines to write on, and the closing thanks. The page's few words of its own (the fields'
names, "tick one") are kept here in both languages; its styles are inline CSS.
"""

from __future__ import annotations

import html
from pathlib import Path

from playbook.survey.checks import check_lang
from playbook.survey.questionnaire import Question, SurveyTemplate, load_template

__all__ = ["render_form"]

#: The form's own words: the fields' names and the hints beside the questions.
_UI = {
    "ru": {"customer": "Клиент", "date": "Дата", "contact": "Контактное лицо",
           "percent": "примерно", "one": "отметьте один вариант", "question": "Вопрос"},
    "en": {"customer": "Customer", "date": "Date", "contact": "Contact person",
           "percent": "roughly", "one": "tick one", "question": "Question"},
}

_CSS = """
@page { size: A4; margin: 14mm 16mm 16mm 16mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 11pt;
       line-height: 1.35; color: #111; margin: 0 auto; max-width: 180mm; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 3mm 0; }
h2 { font-size: 12.5pt; margin: 6mm 0 1mm 0; border-bottom: 0.4mm solid #444; }
.intro { margin: 0 0 4mm 0; }
.note { font-size: 9.5pt; color: #333; margin: 0 0 2mm 0; }
.fields { display: flex; gap: 8mm; margin: 0 0 4mm 0; }
.field { flex: 1; border-bottom: 0.3mm solid #333; padding-top: 5mm; font-size: 9.5pt; }
ol.questions { list-style: none; padding: 0; margin: 0; counter-reset: q; }
li.q { break-inside: avoid; page-break-inside: avoid; margin: 0 0 4.5mm 0;
       counter-increment: q; }
.wording::before { content: counter(q) ". "; font-weight: bold; }
.wording { font-weight: 600; }
.qid { font-size: 7.5pt; color: #666; font-family: "DejaVu Sans Mono", monospace;
       margin-left: 2mm; font-weight: normal; }
.scale { display: flex; align-items: flex-start; gap: 1.6mm; margin-top: 1.5mm; }
.point { text-align: center; font-size: 9pt; width: 9mm; }
.box { display: block; width: 6mm; height: 6mm; border: 0.35mm solid #111;
       margin: 0 auto 0.5mm auto; }
.ends { display: flex; justify-content: space-between; font-size: 8.5pt; color: #333;
        margin-top: 0.5mm; }
.options { margin-top: 1.5mm; }
.option { display: inline-flex; align-items: center; gap: 1.5mm; margin: 0 6mm 1.5mm 0;
          font-size: 10pt; }
.option .box { margin: 0; width: 4.5mm; height: 4.5mm; }
.line { border-bottom: 0.3mm solid #777; height: 8mm; }
.percent { margin-top: 2mm; }
.percent .blank { display: inline-block; width: 22mm; border-bottom: 0.3mm solid #111;
                  height: 6mm; vertical-align: bottom; }
.thanks { margin-top: 6mm; font-style: italic; }
@media screen { body { padding: 12mm; } }
@media print { body { padding: 0; max-width: none; } a { color: inherit; } }
"""


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def _render_question(q: Question, lang: str) -> str:
    ui = _UI[lang]
    parts = [f'<li class="q" data-question="{_e(q.id)}">',
             f'<div class="wording">{_e(q.text.get(lang))}'
             f'<span class="qid">[{_e(q.id)}]</span></div>']
    if q.type in ("nps", "rating"):
        low, high = q.bounds
        points = "".join(f'<div class="point"><span class="box"></span>{v}</div>'
                         for v in range(low, high + 1))
        parts.append(f'<div class="scale">{points}</div>')
        if q.scale is not None and (q.scale.low or q.scale.high):
            width = (high - low + 1) * 10.6
            left = _e(f"{low} — {q.scale.low.get(lang)}") if q.scale.low else ""
            right = _e(f"{high} — {q.scale.high.get(lang)}") if q.scale.high else ""
            parts.append(f'<div class="ends" style="width:{width:.0f}mm">'
                         f"<span>{left}</span><span>{right}</span></div>")
    elif q.type == "choice":
        options = "".join(f'<span class="option"><span class="box"></span>{_e(o.text.get(lang))}'
                          f"</span>" for o in q.options or [])
        parts.append(f'<div class="note">({_e(ui["one"])})</div>'
                     f'<div class="options">{options}</div>')
    elif q.type == "percent":
        parts.append(f'<div class="percent">{_e(ui["percent"])} '
                     '<span class="blank"></span> %</div>')
    else:
        parts.append("".join('<div class="line"></div>' for _ in range(q.lines)))
    parts.append("</li>")
    return "".join(parts)


def render_form(template: str | Path | SurveyTemplate, lang: str) -> str:
    """Render a printable questionnaire: one self-contained HTML page for A4 paper.

    The page has inline CSS only (no scripts, no external resources, no network request),
    prints on A4 without splitting a question across pages, and escapes every piece of
    text. Each question shows its id (``[recommend]``) so whoever types the answers in
    knows which column they go to.

    Parameters
    ----------
    template
        A template id (``"quarterly"``), the path of a template YAML file, or a loaded
        template.
    lang
        ``ru`` or ``en``.

    Returns
    -------
    str
        The complete HTML document.
    """
    check_lang(lang)
    spec = load_template(template)
    ui = _UI[lang]
    body = [f"<h1>{_e(spec.title.get(lang))}</h1>",
            f'<p class="intro">{_e(spec.intro.get(lang))}</p>']
    if spec.identify:
        body.append('<div class="fields">' + "".join(
            f'<div class="field">{_e(ui[k])}</div>' for k in ("customer", "contact", "date"))
            + "</div>")
    sections = {s.id: s for s in spec.sections}
    current: object = object()
    opened = False
    for q in spec.questions:
        if q.section != current:
            if opened:
                body.append("</ol>")
            current = q.section
            if q.section is not None:
                section = sections[q.section]
                body.append(f"<h2>{_e(section.title.get(lang))}</h2>")
                if section.note is not None:
                    body.append(f'<p class="note">{_e(section.note.get(lang))}</p>')
            start = spec.questions.index(q)
            body.append(f'<ol class="questions" style="counter-reset: q {start}">')
            opened = True
        body.append(_render_question(q, lang))
    if opened:
        body.append("</ol>")
    if spec.thanks is not None:
        body.append(f'<p class="thanks">{_e(spec.thanks.get(lang))}</p>')
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(spec.title.get(lang))}</title>\n<style>{_CSS}</style>\n</head>\n"
        f'<body data-template="{_e(spec.id)}">\n' + "\n".join(body) + "\n</body>\n</html>\n"
    )
