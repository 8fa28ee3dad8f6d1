"""Moderation (QA coordinator): checking auditors' judgements, and acknowledging safeguarding concerns."""
