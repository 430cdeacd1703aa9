"""Who are our customers: RFM, ABC-XYZ, Pareto, the loyalty ladder and movement (``analysis``),
who may leave and who has left (``rhythm``), whom the client sells to (``kind``), and what the
report shows of them (``views``, with ``views_base`` and ``views_risk`` re-exported by it).
"""
