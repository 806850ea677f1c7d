"""Schema of the commune configuration file (config/commune.yml), validated once."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficeContact(_Strict):
    address: str | None = None
    opening_hours: str | None = None
    phone: str | None = None
    sample: bool = False


class OfficeConfig(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]{0,31}$")
    name: str
    intake: bool = False
    # The office's staff group: a Telegram chat id, or (instead) a Zalo group id.
    staff_chat_id: int | None = None
    zalo_group_id: str | None = Field(default=None, min_length=1, max_length=64)
    contact: OfficeContact = OfficeContact()

    @model_validator(mode="after")
    def _one_group(self) -> OfficeConfig:
        if self.staff_chat_id is not None and self.zalo_group_id is not None:
            raise ValueError(
                f"office {self.code}: staff_chat_id (Telegram) or zalo_group_id, not both"
            )
        return self


class VillageConfig(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]{0,31}$")
    name: str
    sample: bool = False
    office: str | None = None


class CategoryConfig(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")
    name: str
    office: str


class EventConfig(_Strict):
    name: str
    date: str
    place: str | None = None


class CommuneInfo(_Strict):
    name: str
    full_name: str
    city: str
    ticket_prefix: str = Field(pattern=r"^[A-Z]{1,8}$")
    leaders_chat_id: int | None = None
    events: list[EventConfig] = []


class YearOverrides(_Strict):
    """One year's official changes to the library's public holidays (public sector)."""

    # Extra days off (a bridging day the government swapped with a Saturday).
    days_off: list[date] = []
    # Make-up working days: the Saturdays worked in exchange for those days off.
    working_days: list[date] = []


class RetentionConfig(_Strict):
    """How long personal data is kept (what the consent notice promises residents)."""

    # The engine's conversation (Rasa tracker store events).
    conversation_days: int = Field(default=90, ge=1)
    # The text, photo and buttons of sent or failed Telegram messages; the delivery
    # record (when, to which chat, about which ticket) stays.
    outbox_text_days: int = Field(default=90, ge=1)
    # Finished tickets (closed, answered, rejected, forwarded, withdrawn, duplicate) are
    # anonymised this many months after their last activity; the statistics stay.
    ticket_months: int = Field(default=24, ge=1)
    # Unanswered questions feed the six-monthly report: the current and the last period.
    unanswered_question_days: int = Field(default=365, ge=1)
    # Log files in log_directory (relative to the project root) not written for this long.
    log_days: int = Field(default=30, ge=1)
    log_directory: Path | None = Path("var/logs")
    # When the bot runs the daily purge (commune time), outside office hours.
    daily_at: time = time(2, 30)


class TicketLimitConfig(_Strict):
    """At most `tickets` new tickets from one chat within `hours`."""

    tickets: int = Field(ge=1)
    hours: int = Field(ge=1)


class CommuneConfig(_Strict):
    commune: CommuneInfo
    offices: list[OfficeConfig]
    villages: list[VillageConfig] = []
    categories: list[CategoryConfig]
    kind_routing: dict[str, str] = {}
    due_working_days: dict[str, int] = {"default": 10}
    # Per year: official days off and make-up working days on top of the holidays library.
    holidays: dict[int, YearOverrides] = {}
    retention: RetentionConfig = RetentionConfig()
    # Every new ticket posts a card into an office group: one chat cannot flood them.
    new_ticket_limits: list[TicketLimitConfig] = [
        TicketLimitConfig(tickets=5, hours=1),
        TicketLimitConfig(tickets=20, hours=24),
    ]
    # Anonymous tickets keep no chat: they are limited all chats together.
    anonymous_ticket_limits: list[TicketLimitConfig] = [TicketLimitConfig(tickets=20, hours=1)]

    @model_validator(mode="after")
    def _references_resolve(self) -> CommuneConfig:
        office_codes = {office.code for office in self.offices}
        if len(office_codes) != len(self.offices):
            raise ValueError("office codes must be unique")
        if sum(office.intake for office in self.offices) != 1:
            raise ValueError("exactly one office must be the intake office (intake: true)")
        for category in self.categories:
            if category.office not in office_codes:
                raise ValueError(f"category {category.code}: unknown office {category.office}")
        for village in self.villages:
            if village.office is not None and village.office not in office_codes:
                raise ValueError(f"village {village.code}: unknown office {village.office}")
        for kind, office in self.kind_routing.items():
            if office not in office_codes:
                raise ValueError(f"kind_routing {kind}: unknown office {office}")
        if "default" not in self.due_working_days:
            raise ValueError("due_working_days needs a 'default'")
        for year, overrides in self.holidays.items():
            for day in (*overrides.days_off, *overrides.working_days):
                if day.year != year:
                    raise ValueError(f"holidays {year}: {day} is not in {year}")
            both = set(overrides.days_off) & set(overrides.working_days)
            if both:
                raise ValueError(f"holidays {year}: both a day off and a working day: {both}")
        return self

    @property
    def intake_office(self) -> OfficeConfig:
        return next(office for office in self.offices if office.intake)


def load_commune_config(path: Path) -> CommuneConfig:
    with path.open(encoding="utf-8") as handle:
        return CommuneConfig.model_validate(yaml.safe_load(handle))
