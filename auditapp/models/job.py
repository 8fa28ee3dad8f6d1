"""Background jobs (long imports, report builds): their state and progress, shown on a status page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from auditapp.extensions import Model
from auditapp.models.types import UTCDateTime, utcnow
from auditapp.vocabulary import JobStatus


class Job(Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED)  # a JobStatus
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    result_url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owner: Mapped[str | None] = mapped_column(String(80))  # host:pid:start of the process that runs it
    # Issue 16: jobs run in the worker. Each start is an attempt (a worker killed mid-job is retried); a job that
    # makes a file (a PDF) keeps it here until it is downloaded or the job is removed by retention.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_mimetype: Mapped[str | None] = mapped_column(String(100))
    file_content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
