"""Running the playbook: one client's run folder, its intake and notebooks (runner), and
what a notebook opens first (context).
"""
