"""What last period's tasks achieved: the managers' workbooks read back, and the calls' effect.

- :mod:`~playbook.followup.contract`: the task workbooks' format (columns, lists, statuses)
  and the parsers of what managers type in them;
- :mod:`~playbook.followup.workbooks`: reading the filled-in workbooks safely (intake calls it);
- :mod:`~playbook.followup.analysis`: the tasks matched to customers, the per-manager table
  and each customer's outcome;
- :mod:`~playbook.followup.effect`: the calls' effect, a stratified comparison;
- :mod:`~playbook.followup.views`: the report's section.
"""
