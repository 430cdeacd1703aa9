"""Running the playbook: one client's run folder, its intake and notebooks (runner), and
what a notebook opens first (context); many clients (batch, its child process in child),
the same on a Dask cluster (cluster), and the batch's portfolio (portfolio).
"""
