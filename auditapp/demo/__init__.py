"""The demo partnership (``auditapp demo``): its fixed facts (facts), the synthetic case population (cases), the
rounds and their audits (audits), findings and a published report (findings), and the loader over them (load)."""
