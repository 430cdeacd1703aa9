"""Service standards: the document, the rollout, strict control, and the warning signs.

Modules: ``settings`` (the parameters' ``standards:`` section), ``catalog`` (the catalog in
``templates/standards`` adapted to the client), ``document`` (the client's standards
document as HTML), ``signs`` (warning signs that service has slipped), ``compliance``
(compliance with intervals, the response-time rule, the month's best performer), ``control``
(p-charts and XmR charts with run rules), ``rollout`` (the dated plan and the questions
before the launch), ``workbook`` (the project lead's checklist), and the report's section
(``views``, with ``views_control``).
"""
