"""The partnership's organisation: agencies, localities and teams."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditapp.extensions import Model
from auditapp.models.types import str_enum


class AgencyKind(enum.StrEnum):
    SOCIAL_CARE = "social_care"
    HEALTH = "health"
    POLICE = "police"
    EDUCATION = "education"  # schools and early years
    PROBATION = "probation"
    HOUSING = "housing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "social_care": "Children's social care",
            "health": "Health",
            "police": "Police",
            "education": "Education and early years",
            "probation": "Probation",
            "housing": "Housing",
            "other": "Other",
        }[self.value]


class Agency(Model):
    __tablename__ = "agencies"
    # Names are unique whatever their case: the database refuses "police" beside "Police" (see domain.org).
    __table_args__ = (Index("uq_agencies_lower_name", func.lower("name"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(str_enum(AgencyKind))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Issue 16: the agency's named safeguarding lead, told at once of an immediate concern about one of its cases;
    # and whether its staff may sign in with a password (off: only through the agency's identity provider).
    safeguarding_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, name="fk_agencies_safeguarding_lead_id_users")
    )
    password_sign_in: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Issue 17: who records the agency's quarterly single-agency audit return (and is reminded when it is due).
    quality_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, name="fk_agencies_quality_lead_id_users")
    )

    # A User or None, named as a string: models.user imports this module (an import back would be a cycle).
    safeguarding_lead: Mapped[Any] = relationship("User", foreign_keys=[safeguarding_lead_id])
    quality_lead: Mapped[Any] = relationship("User", foreign_keys=[quality_lead_id])

    def __repr__(self) -> str:
        return f"<Agency {self.name}>"


class Locality(Model):
    __tablename__ = "localities"
    __table_args__ = (Index("uq_localities_lower_name", func.lower("name"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    teams: Mapped[list[Team]] = relationship(back_populates="locality", order_by="Team.name")


class Team(Model):
    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("agency_id", "name"),
        Index("uq_teams_agency_id_lower_name", "agency_id", func.lower("name"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    locality_id: Mapped[int | None] = mapped_column(ForeignKey("localities.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, name="fk_teams_manager_id_users"), nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    agency: Mapped[Agency] = relationship()
    locality: Mapped[Locality | None] = relationship(back_populates="teams")
    manager = relationship("User", foreign_keys=[manager_id], post_update=True)
