"""The board report of an audit round: its data (report_data), charts, HTML and PDF rendering (render) and
the ``auditapp report`` commands (cli)."""
