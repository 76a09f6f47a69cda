"""Demo AB's master data: cost centres, projects, warehouses, articles, suppliers, customers."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import Decimal


@dataclass(frozen=True)
class CostCentre:
    code: str
    name: str


@dataclass(frozen=True)
class Warehouse:
    code: str
    name: str
    city: str
    inventory_account: str


@dataclass(frozen=True)
class Article:
    number: str
    name: str
    kind: str  # goods | service
    vat_rate: int
    standard_cost: Decimal
    price: Decimal
    unit: str
    supplier: str | None
    quantity_range: tuple[int, int]
    popularity: float


@dataclass(frozen=True)
class Party:
    """A customer or a supplier, as one system holds it."""

    number: str
    name: str
    orgnr: str
    street: str
    postal_code: str
    city: str
    email: str
    payment_terms_days: int
    bankgiro: str | None = None
    warehouse: str | None = None  # customers: the warehouse that serves their region
    weight: float = 1.0


@dataclass(frozen=True)
class Project:
    number: str
    name: str
    customer: str
    cost_centre: str
    hourly_rate: Decimal
    planned_hours: int  # per month
    start_month: int  # index into the simulated months, inclusive
    end_month: int


COST_CENTRES = (
    CostCentre("ADM", "Administration"),
    CostCentre("SALJ", "Försäljning"),
    CostCentre("LAGER", "Lager och logistik"),
    CostCentre("KONS", "Konsulttjänster"),
)

WAREHOUSES = (
    Warehouse("STO", "Centrallager Stockholm", "Stockholm", "1461"),
    Warehouse("GOT", "Lager Göteborg", "Göteborg", "1462"),
    Warehouse("MMO", "Lager Malmö", "Malmö", "1463"),
)
CENTRAL_WAREHOUSE = "STO"

_D = Decimal
ARTICLES = (
    Article(
        "A1001",
        "Kontorsstol Ergo Plus",
        "goods",
        25,
        _D("1450"),
        _D("2490"),
        "st",
        "2001",
        (1, 6),
        1.0,
    ),
    Article(
        "A1002",
        "Skrivbord höj- och sänkbart 160 cm",
        "goods",
        25,
        _D("3200"),
        _D("5490"),
        "st",
        "2001",
        (1, 4),
        0.6,
    ),
    Article(
        "A1003", "Bildskärm 27 tum", "goods", 25, _D("1900"), _D("2990"), "st", "2002", (1, 6), 1.0
    ),
    Article(
        "A1004",
        "Tangentbord trådlöst",
        "goods",
        25,
        _D("320"),
        _D("549"),
        "st",
        "2002",
        (1, 10),
        1.2,
    ),
    Article(
        "A1005",
        "Dockningsstation USB-C",
        "goods",
        25,
        _D("1100"),
        _D("1890"),
        "st",
        "2002",
        (1, 6),
        0.8,
    ),
    Article(
        "A1006",
        "Headset med brusreducering",
        "goods",
        25,
        _D("780"),
        _D("1390"),
        "st",
        "2002",
        (1, 8),
        0.9,
    ),
    Article(
        "A1007", "Skrivbordslampa LED", "goods", 25, _D("260"), _D("449"), "st", "2003", (1, 8), 0.7
    ),
    Article(
        "A1008",
        "Förvaringsskåp plåt",
        "goods",
        25,
        _D("1650"),
        _D("2790"),
        "st",
        "2001",
        (1, 3),
        0.4,
    ),
    Article(
        "A1009",
        "Whiteboard 120x90 cm",
        "goods",
        25,
        _D("540"),
        _D("990"),
        "st",
        "2001",
        (1, 3),
        0.4,
    ),
    Article(
        "A1010",
        "Kopieringspapper A4, 5 x 500 ark",
        "goods",
        25,
        _D("180"),
        _D("329"),
        "kart",
        "2003",
        (2, 20),
        1.3,
    ),
    Article(
        "A2001",
        "Kaffe mellanrost 500 g",
        "goods",
        12,
        _D("48"),
        _D("89"),
        "st",
        "2004",
        (5, 30),
        1.1,
    ),
    Article(
        "A2002",
        "Te sortiment 100 påsar",
        "goods",
        12,
        _D("62"),
        _D("119"),
        "st",
        "2004",
        (2, 12),
        0.6,
    ),
    Article(
        "A2003",
        "Mineralvatten 24-pack",
        "goods",
        12,
        _D("85"),
        _D("159"),
        "st",
        "2004",
        (2, 15),
        0.7,
    ),
    Article(
        "A2004", "Kaffebröd sortiment", "goods", 12, _D("70"), _D("139"), "st", "2004", (2, 10), 0.5
    ),
    Article(
        "A3001", "Handbok i bokföring", "goods", 6, _D("210"), _D("395"), "st", "2005", (1, 5), 0.4
    ),
    Article(
        "A3002",
        "Facklitteratur: Lagerstyrning",
        "goods",
        6,
        _D("240"),
        _D("449"),
        "st",
        "2005",
        (1, 4),
        0.3,
    ),
    Article(
        "A3003",
        "Tidskrift Ekonomi, årsprenumeration",
        "goods",
        6,
        _D("450"),
        _D("790"),
        "st",
        "2005",
        (1, 2),
        0.2,
    ),
    Article("T100", "Konsulttimme", "service", 25, _D("0"), _D("1250"), "h", None, (1, 1), 0.0),
)
SERVICE_ARTICLE = "T100"

_SUPPLIER_NAMES = (
    ("2001", "Kontorsgrossisten Norden AB", "Stockholm"),
    ("2002", "Datatillbehör Sverige AB", "Kista"),
    ("2003", "Belysning och Papper i Mälardalen AB", "Västerås"),
    ("2004", "Kaffegrossisten Göta AB", "Göteborg"),
    ("2005", "Bokförlaget Facklitteratur AB", "Lund"),
)

_PREFIXES = (
    "Nordisk",
    "Svea",
    "Göta",
    "Mälar",
    "Öresund",
    "Fjäll",
    "Skog",
    "Hav",
    "Berg",
    "Älv",
    "Sjö",
    "Norrlands",
    "Väst",
    "Öst",
    "Syd",
    "Dal",
    "Vätter",
    "Vänern",
    "Kust",
    "Ängs",
    "Björk",
    "Ek",
    "Gran",
    "Lind",
    "Rönn",
    "Sten",
    "Järn",
    "Koppar",
    "Silver",
    "Guld",
)
_SUFFIXES = (
    "Bygg",
    "Handel",
    "Konsult",
    "Teknik",
    "Logistik",
    "Data",
    "Energi",
    "Design",
    "Fastigheter",
    "Transport",
    "Media",
    "Revision",
    "Redovisning",
    "Elektro",
    "VVS",
    "Måleri",
    "Städ",
    "Event",
    "Arkitekter",
    "Juristbyrå",
)
_STREETS = (
    "Storgatan",
    "Kungsgatan",
    "Drottninggatan",
    "Industrivägen",
    "Hamngatan",
    "Sveavägen",
    "Järnvägsgatan",
    "Företagsvägen",
    "Verkstadsgatan",
    "Lagergatan",
    "Bangårdsgatan",
    "Torggatan",
)
#: City → (postal code prefix, serving warehouse).
_CITIES = {
    "Stockholm": ("11", "STO"),
    "Uppsala": ("75", "STO"),
    "Västerås": ("72", "STO"),
    "Örebro": ("70", "STO"),
    "Linköping": ("58", "STO"),
    "Norrköping": ("60", "STO"),
    "Umeå": ("90", "STO"),
    "Göteborg": ("41", "GOT"),
    "Borås": ("50", "GOT"),
    "Jönköping": ("55", "GOT"),
    "Halmstad": ("30", "GOT"),
    "Malmö": ("21", "MMO"),
    "Lund": ("22", "MMO"),
    "Helsingborg": ("25", "MMO"),
    "Kristianstad": ("29", "MMO"),
}
_PROJECT_PLANS = (
    ("P101", "Implementering affärssystem", 0, 11, 90, "1250"),
    ("P102", "Löpande controllerstöd", 0, 23, 60, "1150"),
    ("P103", "Lageroptimering", 4, 17, 80, "1300"),
    ("P104", "Ekonomiprocesser och bokslut", 9, 23, 70, "1250"),
    ("P105", "Digital kundportal", 12, 23, 100, "1350"),
    ("P106", "Inköpsanalys", 15, 23, 50, "1200"),
)


def luhn_digit(digits: str) -> str:
    """The Luhn check digit Swedish organisation numbers and OCR references end with."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def orgnr(rng: random.Random, prefix: str = "556") -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(9 - len(prefix)))
    full = body + luhn_digit(body)
    return f"{full[:6]}-{full[6:]}"


def _slug(name: str) -> str:
    table = str.maketrans("åäöÅÄÖéÉ ", "aaoAAOeE-")
    return name.lower().translate(table).replace("-ab", "").strip("-")


def _party(rng: random.Random, number: str, name: str, city: str, terms: int) -> Party:
    prefix, warehouse = _CITIES[city]
    return Party(
        number=number,
        name=name,
        orgnr=orgnr(rng),
        street=f"{rng.choice(_STREETS)} {rng.randint(1, 120)}",
        postal_code=f"{prefix}{rng.randint(1, 9)} {rng.randint(10, 99)}",
        city=city,
        email=f"ekonomi@{_slug(name)}.se",
        payment_terms_days=terms,
        warehouse=warehouse,
    )


def make_customers(rng: random.Random, count: int) -> list[Party]:
    names = [f"{p} {s}" for p in _PREFIXES for s in _SUFFIXES]
    rng.shuffle(names)
    cities = sorted(_CITIES)
    customers = []
    for i in range(count):
        base = names[i % len(names)]
        city = rng.choice(cities)
        name = f"{base} AB" if i < len(names) else f"{base} i {city} AB"
        terms = rng.choices((30, 20, 10), weights=(7, 2, 1))[0]
        party = _party(rng, str(1001 + i), name, city, terms)
        # A few large customers and a long tail, as in any trading company.
        customers.append(replace(party, weight=rng.paretovariate(1.5)))
    return customers


def make_suppliers(rng: random.Random) -> list[Party]:
    suppliers = []
    for number, name, city in _SUPPLIER_NAMES:
        city_key = city if city in _CITIES else "Stockholm"
        party = _party(rng, number, name, city_key, 30)
        bankgiro = f"{rng.randint(100, 9999)}-{rng.randint(1000, 9999)}"
        suppliers.append(replace(party, city=city, bankgiro=bankgiro, warehouse=None))
    return suppliers


def make_projects(customers: list[Party]) -> list[Project]:
    projects = []
    for i, (number, title, start, end, hours, rate) in enumerate(_PROJECT_PLANS):
        customer = customers[i % len(customers)]
        projects.append(
            Project(
                number=number,
                name=f"{title}, {customer.name}",
                customer=customer.number,
                cost_centre="KONS",
                hourly_rate=Decimal(rate),
                planned_hours=hours,
                start_month=start,
                end_month=end,
            )
        )
    return projects
