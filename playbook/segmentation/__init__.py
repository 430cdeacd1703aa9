"""Who are our customers: RFM, ABC-XYZ, Pareto, the loyalty ladder and movement (analysis),
and what the report shows of them (views).
"""
