"""What a customer is worth: the seed formulas LTV = S x C x P x T and CRR (formulas), the
BG/NBD purchase model (bgnbd), the Gamma-Gamma spend model (gammagamma), who is still active
when the model cannot tell (activity), and the report's section (views, views_value).
"""
