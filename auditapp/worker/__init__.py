"""The worker (issue 16): background work through Huey, a maintained task queue, in a process of its own.

``queue.py`` builds the queue for an app (SQLite storage by default, Redis when ``TASK_QUEUE_URL`` says so) and
its three tasks: run a job, send a message, and the periodic sweep. ``cli.py`` is ``auditapp worker``.
"""
