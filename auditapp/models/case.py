"""The case population: one row per child's case, and the import batches that loaded them.

Data minimisation: no names, addresses, UPNs or NHS numbers are ever stored, only what sampling, conflict-of-
interest checks, timeliness and reporting need.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.org import Agency, Locality, Team
from auditapp.models.types import UTCDateTime, utcnow
from auditapp.models.user import User

STATUS_LABELS = {
    "early_help": "Early help",
    "cin": "Child in need",
    "cp": "Child protection plan",
    "looked_after": "Looked after",
    "care_leaver": "Care leaver",
    "closed": "Closed",
}

# The formats, as the coordinator knows them.
FORMAT_NAMES = {
    "annex_a": "Ofsted Annex A",
    "cin_census": "DfE Children in Need census",
    "ssda903": "SSDA903 (children looked after)",
    "generic_csv": "Generic CSV/Excel",
    "generic_xlsx": "Generic CSV/Excel",
}
# The statutory returns: they name a worker but seldom a team or locality, which the mapping then supplies.
STATUTORY_FORMATS = ("annex_a", "cin_census", "ssda903")


class Case(Model):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # As named in the file; the *_id columns link them to the partnership's own organisations when they match.
    agency_name: Mapped[str | None] = mapped_column(String(120))
    locality_name: Mapped[str | None] = mapped_column(String(120))
    team_name: Mapped[str | None] = mapped_column(String(120))
    worker: Mapped[str | None] = mapped_column(String(120))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("localities.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(10))
    referral_date: Mapped[date | None] = mapped_column(Date)
    assessment_start_date: Mapped[date | None] = mapped_column(Date)
    assessment_completed_date: Mapped[date | None] = mapped_column(Date)
    s47_start_date: Mapped[date | None] = mapped_column(Date)
    icpc_date: Mapped[date | None] = mapped_column(Date)
    cp_plan_start_date: Mapped[date | None] = mapped_column(Date)
    cp_plan_end_date: Mapped[date | None] = mapped_column(Date)
    looked_after_start_date: Mapped[date | None] = mapped_column(Date)
    closure_date: Mapped[date | None] = mapped_column(Date)
    last_seen_date: Mapped[date | None] = mapped_column(Date)
    seen_alone: Mapped[bool | None] = mapped_column(Boolean)
    previous_cp_plans: Mapped[int | None] = mapped_column(Integer)
    category_of_abuse: Mapped[str | None] = mapped_column(String(60))
    created_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    updated_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    # The format of the last import that held the case: a full return of that format may leave it out.
    source_format: Mapped[str | None] = mapped_column(String(20))
    # Set when a full return of its format left the case out: kept, but not eligible, until a return holds it again.
    missing_from_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    # The team or locality came from the coordinator's mapping (the file left it blank), not from the file.
    team_from_mapping: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locality_from_mapping: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    agency: Mapped[Agency | None] = relationship()
    locality: Mapped[Locality | None] = relationship()
    team: Mapped[Team | None] = relationship()

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def in_latest_return(self) -> bool:
        return self.missing_from_batch_id is None

    missing_from: Mapped[ImportBatch | None] = relationship(foreign_keys=[missing_from_batch_id])


class ImportBatch(Model):
    """One import: what file, what format, who, when and what changed."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_names: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(20))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_by_label: Mapped[str | None] = mapped_column(String(254))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    # A full return holds every case of its format for ``period``: the cases it leaves out are marked.
    full_return: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    period: Mapped[str | None] = mapped_column(String(60))
    marked_missing_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    returned_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    imported_by: Mapped[User | None] = relationship()

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES.get(self.format, "Other")


class PendingUpload(Model):
    """An uploaded file waiting for the coordinator to confirm its import (deleted on confirm or cancel)."""

    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    format: Mapped[str | None] = mapped_column(String(20))
    # The files are parsed once, on upload: the check page and the import job use these records (zlib-compressed
    # JSON written by auditapp.domain.uploads, never pickle) and never parse the files again.
    sha256: Mapped[str | None] = mapped_column(String(64))
    parsed: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    full_return: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    period: Mapped[str | None] = mapped_column(String(60))
    files: Mapped[list[PendingFile]] = relationship(cascade="all, delete-orphan", order_by="PendingFile.position")


class PendingFile(Model):
    __tablename__ = "pending_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("pending_uploads.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PopulationMapping(Model):
    """One row of the coordinator's mapping: a worker to a team and/or locality, or a team to a locality.

    Applied to cases from the statutory returns whose file leaves the team or locality blank. ``match_key`` is
    "worker:" or "team:" and the name in lower case, so a name is mapped once whatever its letter case.
    """

    __tablename__ = "population_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_key: Mapped[str] = mapped_column(String(130), unique=True)
    worker: Mapped[str | None] = mapped_column(String(120))
    team: Mapped[str | None] = mapped_column(String(120))
    locality: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
