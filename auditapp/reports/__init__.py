"""The Board report of an audit round, in one place: its pages (routes, forms), the publishing job (jobs), its data
(report_data), charts, HTML and PDF rendering (render) and the ``auditapp report`` commands (cli)."""
