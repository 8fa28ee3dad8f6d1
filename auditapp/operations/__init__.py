"""Commands for the people who run auditapp: audit-trail checks, database privileges, retention."""
