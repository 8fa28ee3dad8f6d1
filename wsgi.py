"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

from auditapp.app import create_app
from auditapp.unit_of_work import recover_at_start

app = create_app()
recover_at_start(app)  # jobs left running by a killed or restarted server are marked failed, not left spinning
