"""The customer survey: questionnaires (questionnaire) and their printable forms
(printable_form), the headline scores (scores), the survey against the customer base
(customer_base), key drivers (drivers), exit reasons (exits), the whole analysis of a run
(analysis, with what it holds in model) and its results.json keys (results_json), and the
report's section (views, with its parts in views_scores, views_drivers and views_feedback,
the statistics for the technical appendix in views_appendix and their formatting in
views_format); checks holds the small helpers the modules share.
"""
