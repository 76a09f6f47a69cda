"""Demo AB's chart of accounts: the part of BAS the company books on.

Account numbers follow the BAS chart (BAS 2024); the names are BAS's own where BAS names the
account, and the company's where it uses a free sub-account (the per-warehouse stock accounts).
"""

from __future__ import annotations

from decimal import Decimal

ACCOUNTS: dict[str, str] = {
    "1461": "Lager av handelsvaror, Centrallager Stockholm",
    "1462": "Lager av handelsvaror, Lager Göteborg",
    "1463": "Lager av handelsvaror, Lager Malmö",
    "1510": "Kundfordringar",
    "1930": "Företagskonto/checkkonto/affärskonto",
    "2081": "Aktiekapital",
    "2091": "Balanserad vinst eller förlust",
    "2099": "Årets resultat",
    "2440": "Leverantörsskulder",
    "2611": "Utgående moms på försäljning inom Sverige, 25 %",
    "2621": "Utgående moms på försäljning inom Sverige, 12 %",
    "2631": "Utgående moms på försäljning inom Sverige, 6 %",
    "2641": "Debiterad ingående moms",
    "2650": "Redovisningskonto för moms",
    "2710": "Personalskatt",
    "2730": "Lagstadgade sociala avgifter och särskild löneskatt",
    "3001": "Försäljning inom Sverige, 25 % moms",
    "3002": "Försäljning inom Sverige, 12 % moms",
    "3003": "Försäljning inom Sverige, 6 % moms",
    "3041": "Försäljning tjänst inom Sverige, 25 % moms",
    "4010": "Inköp material och varor",
    "4960": "Förändring av lager av handelsvaror",
    "5010": "Lokalhyra",
    "6212": "Mobiltelefon",
    "6570": "Bankkostnader",
    "7210": "Löner till tjänstemän",
    "7510": "Arbetsgivaravgifter 31,42 %",
    "8310": "Ränteintäkter från omsättningstillgångar",
}

#: VAT rate (percent) → (sales account for goods, output VAT account).
VAT_ACCOUNTS: dict[int, tuple[str, str]] = {
    25: ("3001", "2611"),
    12: ("3002", "2621"),
    6: ("3003", "2631"),
}
SERVICE_SALES_ACCOUNT = "3041"
INPUT_VAT = "2641"
VAT_SETTLEMENT = "2650"
RECEIVABLES = "1510"
PAYABLES = "2440"
BANK = "1930"
PURCHASES = "4010"
STOCK_CHANGE = "4960"
RENT = "5010"
PHONE = "6212"
BANK_FEES = "6570"
SALARIES = "7210"
EMPLOYER_FEES = "7510"
PAYROLL_TAX = "2710"
SOCIAL_FEES = "2730"
SHARE_CAPITAL = "2081"
RETAINED_EARNINGS = "2091"
YEAR_RESULT = "2099"
INTEREST_INCOME = "8310"

EMPLOYER_FEE_RATE = Decimal("0.3142")
WITHHOLDING_RATE = Decimal("0.30")


def is_balance_account(account: str) -> bool:
    """BAS classes 1 (assets) and 2 (equity and liabilities) carry balances across years."""
    return account[0] in "12"
