"""Sending messages (issue 16): through GOV.UK Notify or SMTP, chosen by configuration; the delivery of one
``Notification`` row by the worker (``delivery.py``) and what each kind of message says (``texts.py``)."""
