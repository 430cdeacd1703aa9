"""The report: the languages (i18n), what notebooks display (render), the figures they
record (results) and the nbconvert document built from the executed notebooks (document).
"""
