"""The first-start data of SteinmetZ, a small stone-works company: departments,
employees, invoices with line items, events and ideas with votes.

Deterministic (one seeded ``random.Random``), so tests can count on it; times are
relative to the start, so the events are always upcoming. Idempotent and safe with
several workers starting at once: everything goes in one transaction that begins by
inserting the departments, whose names are unique. A worker that finds them there does
nothing; one that loses the race gets a unique-key error and rolls its copy back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from erp_app.calendar.models import CalendarEvent
from erp_app.finance.models import Invoice, InvoiceLine
from erp_app.finance.service import invoice_number, line_amounts, totals
from erp_app.hr.models import Department, Employee
from erp_app.innovation.models import Idea, IdeaVote

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from erp_app.config import Settings
    from erp_app.platform.db import Database

__all__ = ["SEED", "seed_company"]

log = structlog.get_logger("erp.seed")


@dataclass(frozen=True)
class SeedCounts:
    departments: int = 5
    employees: int = 42
    invoices: int = 24
    events: int = 14
    ideas: int = 10


SEED = SeedCounts()
RANDOM_SEED = 20_240_501

DEPARTMENTS = {
    "Verwaltung": (
        "Buchhaltung, Personal und Empfang",
        ["Buchhalterin", "Personalreferent", "Assistenz der Geschäftsführung", "Geschäftsführer"],
    ),
    "Werkstatt": (
        "Sägen, Schleifen, Polieren und Schriftarbeiten",
        ["Steinmetz", "Steinmetzmeister", "Auszubildender Steinmetz", "Maschinenführer CNC"],
    ),
    "Montage": (
        "Versetzen von Grabmalen, Treppen und Fassaden vor Ort",
        ["Monteur", "Vorarbeiter Montage", "Kraftfahrer"],
    ),
    "Vertrieb": (
        "Beratung, Angebote und die Ausstellung",
        ["Verkaufsberaterin", "Vertriebsleiter", "Innendienst"],
    ),
    "Planung": (
        "Aufmaß, Zeichnungen und Arbeitsvorbereitung",
        ["Technische Zeichnerin", "Bautechniker", "Arbeitsvorbereitung"],
    ),
}
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Katrin",
    "Lukas",
    "Mia",
    "Niklas",
    "Olga",
    "Paul",
    "Rosa",
    "Sebastian",
    "Tina",
    "Uwe",
    "Vera",
    "Wolfgang",
    "Yvonne",
    "Zoe",
    "Karl",
    "Lena",
    "Matthias",
    "Nora",
    "Stefan",
    "Jana",
]
LAST_NAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Steinmetz",
]
CUSTOMERS = [
    "Friedhofsverwaltung Ulm",
    "Familie Berger",
    "Bauhaus Küchenstudio GmbH",
    "Gemeinde Blaubeuren",
    "Architekturbüro Lindner",
    "Hotel Zum Münster",
    "Familie Özdemir",
    "Evangelische Kirchengemeinde Söflingen",
    "Wohnbau Donau eG",
    "Praxis Dr. Kaiser",
]
ITEMS = [
    ("Grabstein Granit Impala, poliert, 60 x 90 cm", Decimal("1850.00"), "1"),
    ("Grabeinfassung Muschelkalk", Decimal("940.00"), "1"),
    ("Schriftarbeit, vertieft, je Buchstabe", Decimal("14.50"), "24"),
    ("Küchenarbeitsplatte Quarzit, je lfm", Decimal("420.00"), "3.6"),
    ("Fensterbank Jura-Kalkstein, je lfm", Decimal("95.00"), "7.25"),
    ("Treppenstufe Granit, geflammt", Decimal("310.00"), "12"),
    ("Aufmaß vor Ort", Decimal("85.00"), "1"),
    ("Montage, je Stunde", Decimal("68.00"), "6.5"),
    ("Anfahrtspauschale", Decimal("45.00"), "1"),
    ("Restaurierung Sandsteinfigur", Decimal("1250.00"), "1"),
]
STATUSES = ["draft", "sent", "sent", "paid", "paid", "paid", "cancelled", "sent"]
ROOMS = ["Besprechungsraum", "Ausstellung", "Werkhalle", "Planungsbüro"]
EVENTS = [
    "Werkstattbesprechung",
    "Kundentermin Grabmalberatung",
    "Aufmaß-Abstimmung",
    "Sicherheitsunterweisung CNC",
    "Angebotsrunde Vertrieb",
    "Azubi-Sprechstunde",
    "Lieferantentermin Granitimport",
    "Planungsrunde Fassade Hotel Zum Münster",
]
IDEAS = [
    (
        "Reststücke als Schneidebretter verkaufen",
        (
            "Aus Verschnitt von Arbeitsplatten kleine Schneidebretter fertigen "
            "und in der Ausstellung anbieten."
        ),
        "vertrieb",
    ),
    (
        "Wasserkreislauf der Säge filtern",
        (
            "Ein geschlossener Wasserkreislauf mit Absetzbecken spart Frischwasser "
            "und Entsorgungskosten."
        ),
        "werkstatt",
    ),
    (
        "3D-Vorschau für Grabmale",
        "Kunden sehen Schrift und Stein vorab als 3D-Modell auf dem Tablet.",
        "vertrieb",
    ),
    (
        "Tourenplanung für die Montage",
        "Montagetermine nach Region bündeln, um Fahrten zu sparen.",
        "montage",
    ),
    ("Digitale Aufmaße mit Laser", "Lasermessgerät mit App statt Zollstock und Papier.", "planung"),
    (
        "Azubi-Tag in Schulen",
        "Einmal im Jahr den Beruf Steinmetz in Schulen vorstellen.",
        "personal",
    ),
    (
        "Staubabsaugung an den Schleifplätzen",
        "Bessere Absaugung für die Gesundheit in der Werkhalle.",
        "werkstatt",
    ),
    (
        "Online-Terminbuchung für Beratungen",
        "Kunden buchen Beratungstermine direkt auf der Website.",
        "vertrieb",
    ),
    (
        "Solardach auf der Werkhalle",
        "Die große Dachfläche für Strom für die Maschinen nutzen.",
        "allgemein",
    ),
    (
        "Musterkatalog Natursteine aktualisieren",
        "Neue Gesteinssorten fotografieren und den Katalog erneuern.",
        "vertrieb",
    ),
]


async def seed_company(db: Database, _settings: Settings) -> None:
    """Seed once: nothing happens when the departments are already there."""
    async with db.session() as session:
        if await session.scalar(select(Department.id).limit(1)) is not None:
            return
    try:
        async with db.session() as session:
            await _seed(session, random.Random(RANDOM_SEED), datetime.now(UTC))
    except IntegrityError:
        log.info("seed data written by another worker meanwhile")
        return
    log.info("seed data written", **SEED.__dict__)


async def _seed(session: AsyncSession, rng: random.Random, now: datetime) -> None:
    departments = [Department(name=name, description=d) for name, (d, _) in DEPARTMENTS.items()]
    session.add_all(departments)
    await session.flush()  # the unique names: a second worker stops here
    session.add_all(_employees(rng, departments))
    voters = [f"{first.lower()}.{i}" for i, first in enumerate(FIRST_NAMES)]
    session.add_all(_invoices(rng, now.date()))
    session.add_all(_events(rng, now))
    ideas = [
        Idea(
            title=title,
            description=text,
            category=category,
            status="new" if i % 3 else "reviewing",
            author=rng.choice(voters),
        )
        for i, (title, text, category) in enumerate(IDEAS)
    ]
    session.add_all(ideas)
    await session.flush()
    for rank, idea in enumerate(ideas):
        # Distinct vote counts (12, 11, ...) so that "top ideas" has one right answer.
        for voter in rng.sample(voters, 12 - rank):
            session.add(IdeaVote(idea_id=idea.id, voter=voter))


def _employees(rng: random.Random, departments: list[Department]) -> list[Employee]:
    employees = []
    for n in range(1, SEED.employees + 1):
        department = departments[(n - 1) % len(departments)]
        first, last = FIRST_NAMES[(n * 7) % len(FIRST_NAMES)], LAST_NAMES[(n * 5) % len(LAST_NAMES)]
        employees.append(
            Employee(
                employee_number=f"SZ-{n:04d}",
                first_name=first,
                last_name=last,
                email=f"{_ascii(first)}.{_ascii(last)}.{n}@steinmetz.example",
                phone=f"+49 731 {rng.randint(100000, 999999)}",
                position=rng.choice(DEPARTMENTS[department.name][1]),
                department_id=department.id,
                hired_on=date(2008, 1, 1) + timedelta(days=rng.randint(0, 17 * 365)),
                active=n % 11 != 0,  # 3 of 42 have left
            )
        )
    return employees


def _ascii(name: str) -> str:
    return name.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")


def _invoices(rng: random.Random, today: date) -> list[Invoice]:
    invoices = []
    for n in range(1, SEED.invoices + 1):
        status = STATUSES[n % len(STATUSES)]
        issue = today - timedelta(days=rng.randint(0, 60))
        lines = []
        for position, (text, price, quantity) in enumerate(rng.sample(ITEMS, rng.randint(1, 4)), 1):
            qty, rate = Decimal(quantity), Decimal(19)
            net, tax = line_amounts(qty, price, rate)
            lines.append(
                InvoiceLine(
                    position=position,
                    description=text,
                    quantity=qty,
                    unit_price=price,
                    tax_rate=rate,
                    net=net,
                    tax=tax,
                )
            )
        net, tax, gross = totals(lines)
        stamp = datetime.combine(issue, datetime.min.time(), UTC) + timedelta(hours=9)
        invoices.append(
            Invoice(
                number=invoice_number(issue.year, n),
                customer=CUSTOMERS[n % len(CUSTOMERS)],
                issue_date=issue,
                due_date=issue + timedelta(days=14),
                status=status,
                net=net,
                tax=tax,
                gross=gross,
                lines=lines,
                created_by="seed",
                sent_at=stamp if status in ("sent", "paid") else None,
                paid_at=stamp + timedelta(days=10) if status == "paid" else None,
                cancelled_at=stamp + timedelta(days=2) if status == "cancelled" else None,
            )
        )
    return invoices


def _events(rng: random.Random, now: datetime) -> list[CalendarEvent]:
    # Slot n: day n // 2 + 1 from now, at 09:00 or 14:00 UTC, one room per slot: no clashes.
    base = now.replace(hour=0, minute=0, second=0, microsecond=0)
    events = []
    for n in range(SEED.events):
        starts = base + timedelta(days=n // 2 + 1, hours=9 if n % 2 == 0 else 14)
        events.append(
            CalendarEvent(
                title=EVENTS[n % len(EVENTS)],
                room=ROOMS[n % len(ROOMS)],
                starts_at=starts,
                ends_at=starts + timedelta(minutes=rng.choice([30, 60, 90, 120])),
                description="",
                attendees=[f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(3)],
                created_by="seed",
            )
        )
    return events
