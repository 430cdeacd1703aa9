"""Win-backs: who left and why, the competitor scored, and what the switch really costs.

``profile`` reads and checks the competitor profile (``data.competitors``) and writes its
template; ``candidates`` finds the customers to win back (buying fell against BG/NBD's
expectation, lost against their rhythm, the annual survey, exit questionnaires), their
reason and value; ``tco`` prices the switch to a competitor line by line (Ellram's total
cost of ownership); ``swot`` scores the competitor against us factor by factor. ``views``
(with ``views_candidates`` and ``views_competitors``) is the report's section.
"""
