"""What a customer is worth: the seed formulas LTV = S x C x P x T and CRR (formulas), the
BG/NBD purchase model (bgnbd), the Gamma-Gamma spend model (gammagamma), who is still active
when the model cannot tell (activity), and the report's section (views, with views_model for
the forecast and its appendix, views_value and views_notes for the consultant).
"""
