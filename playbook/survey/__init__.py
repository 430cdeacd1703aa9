"""The customer survey: questionnaires and printable forms (questionnaire), statistics
(stats), key drivers (drivers), exit reasons (exits), the whole analysis of a run (analysis)
and the report's section (views).
"""
