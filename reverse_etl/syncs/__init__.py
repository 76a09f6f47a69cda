"""The syncs: what each ``sync_*`` model of dbt_project/models/marts/reverse_etl proposes to
write, turned into outbox items. They read the published snapshot (serving.duckdb), never the
warehouse, so planning never waits for a build.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from ledgerbridge.config import Paths, Settings
from ledgerbridge.errors import ConfigError
from ledgerbridge.warehouse import connect_serving
from reverse_etl.outbox import NewItem
from reverse_etl.syncs import erp, invoices, master_data, vouchers
from reverse_etl.syncs.common import OpenBooks, Propose, booking_date, today_in_stockholm

__all__ = [
    "SYNCS",
    "OpenBooks",
    "Sync",
    "automatic_syncs",
    "booking_date",
    "proposals",
    "today_in_stockholm",
]


@dataclass(frozen=True)
class Sync:
    name: str  # the sync model
    description: str
    propose: Propose
    #: master data may be approved by configuration; vouchers and payments never are
    master_data: bool = False


#: in the order a push sends them: master data before what names it
SYNCS: tuple[Sync, ...] = (
    Sync(
        "sync_accounting__accounts",
        "accounts the ERP books on that a year's chart in Fortnox lacks, created there",
        master_data.accounts,
        master_data=True,
    ),
    Sync(
        "sync_accounting__cost_centres",
        "cost centres the ERP has and Fortnox lacks, created there",
        master_data.dimension("cost_centre"),
        master_data=True,
    ),
    Sync(
        "sync_accounting__projects",
        "projects the ERP has and Fortnox lacks, created there",
        master_data.dimension("project"),
        master_data=True,
    ),
    Sync(
        "sync_accounting__customers",
        "customers from the ERP to the accounting system's register (the fields it owns)",
        master_data.register("customer"),
        master_data=True,
    ),
    Sync(
        "sync_accounting__suppliers",
        "suppliers from the ERP to the accounting system's register (never payment accounts)",
        master_data.register("supplier"),
        master_data=True,
    ),
    Sync(
        "sync_accounting__articles",
        "articles from the ERP's products to the accounting system's register",
        master_data.articles,
        master_data=True,
    ),
    Sync(
        "sync_accounting__invoices",
        "ERP customer invoices the books lack, created and booked in Fortnox's register",
        invoices.invoices,
    ),
    Sync(
        "sync_accounting__supplier_invoices",
        "ERP supplier invoices the books lack, created and booked in Fortnox's register",
        invoices.supplier_invoices,
    ),
    Sync(
        "sync_accounting__invoice_vouchers",
        "ERP invoices the books lack, as vouchers (companies whose books are SIE files)",
        vouchers.invoice_vouchers,
    ),
    Sync(
        "sync_accounting__correction_vouchers",
        "correction vouchers for findings (a reversal of a duplicate booking, …)",
        vouchers.correction_vouchers,
    ),
    Sync(
        "sync_accounting__inventory_vouchers",
        "monthly inventory vouchers (lagerförändring) per inventory account the books lack",
        vouchers.inventory_vouchers,
    ),
    Sync(
        "sync_erp__parties",
        "customers and suppliers in the ERP, in the fields the accounting system owns",
        erp.erp_parties,
        master_data=True,
    ),
    Sync(
        "sync_erp__products",
        "products in the ERP, in the article fields the accounting system owns",
        erp.erp_products,
        master_data=True,
    ),
    Sync(
        "sync_erp__invoice_payments",
        "payments the accounting system received or made, recorded against the ERP's invoices",
        erp.invoice_payments,
    ),
)


def automatic_syncs(settings: Settings) -> set[str]:
    """The syncs whose items the configuration approves, once it is known they may be."""
    where = f"{settings.source_file}: [reverse_etl] approve_automatically"
    known = {sync.name: sync for sync in SYNCS}
    for name in settings.reverse_etl.approve_automatically:
        if name not in known:
            raise ConfigError(
                f"{where}: no sync {name!r}",
                hint="master-data syncs: " + ", ".join(s.name for s in SYNCS if s.master_data),
            )
        if not known[name].master_data:
            raise ConfigError(
                f"{where}: {name} writes vouchers or payments, which always need a person's "
                "approval",
                hint="name master-data syncs only",
            )
    return set(settings.reverse_etl.approve_automatically)


def proposals(paths: Paths, settings: Settings, asked: date | None = None) -> list[NewItem]:
    """Every item the syncs propose from the published snapshot; those of syncs the
    configuration approves need no person's approval."""
    automatic = automatic_syncs(settings)
    con = connect_serving(paths)
    try:
        return [
            replace(item, needs_approval=sync.name not in automatic)
            for sync in SYNCS
            for item in sync.propose(con, settings, asked)
        ]
    finally:
        con.close()
