"""The WSGI entry point for a production server (gunicorn wsgi:app). Background work runs in ``auditapp worker``,
a process of its own, which also takes back the jobs a killed worker left running."""

from auditapp.app import create_app

app = create_app()
