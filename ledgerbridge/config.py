"""Where things live and what the company told us: runtime paths and ``ledgerbridge.toml``.

Runtime state sits under one folder, ``$LEDGERBRIDGE_HOME`` (default ``.ledgerbridge/`` in the
working directory). The configuration file names the companies and, per company, where its data
comes from. Secrets never go in the file: they come from environment variables.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ledgerbridge.errors import ConfigError

HOME_ENV = "LEDGERBRIDGE_HOME"
CONFIG_ENV = "LEDGERBRIDGE_CONFIG"
CONFIG_FILENAME = "ledgerbridge.toml"
REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = Path(os.environ.get("LEDGERBRIDGE_DBT_PROJECT", REPO_ROOT / "dbt_project"))
DASHBOARD_APP = REPO_ROOT / "dashboards" / "app.py"

_COMPANY_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Paths:
    """Every runtime file, derived from the home folder so there is one place to change it."""

    home: Path

    @classmethod
    def from_env(cls) -> Paths:
        return cls(Path(os.environ.get(HOME_ENV, ".ledgerbridge")).resolve())

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        return self.home / "serving.duckdb"

    @property
    def state(self) -> Path:
        return self.home / "state.sqlite"

    @property
    def writer_lock(self) -> Path:
        return self.home / "writer.lock"

    @property
    def demo(self) -> Path:
        return self.home / "demo"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def sandbox(self) -> Path:
        return self.home / "sandbox"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    @property
    def reports(self) -> Path:
        """Month-end report packs, one folder per company (ledgerbridge/report_pack.py)."""
        return self.home / "reports"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def dlt_pipelines(self) -> Path:
        return self.home / "dlt"

    @property
    def dbt_target(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def config_file(self) -> Path:
        return self.home / CONFIG_FILENAME

    def ensure(self) -> Paths:
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        return self


@dataclass(frozen=True)
class FolderSource:
    """A folder the company's files arrive in. What they are is the source's kind (its key
    under ``sources``): ``sie`` SIE 4E exports of the books; ``erp_files`` an ERP export in
    ledgerbridge's JSON Lines format; ``bank`` ISO 20022 camt.053 statements; ``einvoice``
    Peppol BIS Billing 3.0 UBL e-invoices; ``mapped`` CSV, JSON or XML exports, each read
    through a ``*.mapping.yaml`` beside it; ``budget`` budget CSV files a controller uploads
    (ingestion/sources/budget.py)."""

    folder: Path


FOLDER_KINDS = ("sie", "erp_files", "bank", "einvoice", "mapped", "budget")


@dataclass(frozen=True)
class TrytonSource:
    """A Tryton ERP over JSON-RPC. ``sandbox`` means the sandbox ERP of this home
    (`ledgerbridge sandbox up`), whose address and login are in sandbox/sandbox.json."""

    url: str | None = None
    database: str | None = None
    user: str | None = None
    password_env: str | None = None
    sandbox: bool = False
    #: How often, at most, to compare the full id lists to find deleted records.
    deletion_check_hours: float = 24.0
    #: The longest a Tryton transaction runs: each run also reads again what was written
    #: this long before the previous read (a transaction still running then carries an
    #: earlier write_date than the read, and was not visible to it).
    overlap_seconds: float = 300.0

    def password(self) -> str:
        value = os.environ.get(self.password_env or "")
        if not value:
            raise ConfigError(
                f"the Tryton password is read from the environment variable "
                f"{self.password_env}, which is not set",
                hint=f"export {self.password_env}=... before running ledgerbridge",
            )
        return value


@dataclass(frozen=True)
class FortnoxSource:
    """A Fortnox company over the API v3. ``sandbox`` means the Fortnox sandbox of this home
    (`ledgerbridge sandbox up`), whose address and OAuth client are in
    sandbox/fortnox.json. For a real company: the integration's ``client_id``, the client
    secret in the environment variable ``client_secret_env``, and the ``redirect_uri``
    registered with the integration (the one-time authorization step returns there)."""

    sandbox: bool = False
    client_id: str | None = None
    client_secret_env: str | None = None
    redirect_uri: str | None = None
    api_url: str = "https://api.fortnox.se"
    auth_url: str = "https://apps.fortnox.se/oauth-v1"
    #: Each run reads again what changed this long before the previous run began (Fortnox's
    #: ``lastmodified`` has minute resolution, and the two clocks differ).
    overlap_seconds: float = 600.0

    def client_secret(self) -> str:
        value = os.environ.get(self.client_secret_env or "")
        if not value:
            raise ConfigError(
                f"the Fortnox client secret is read from the environment variable "
                f"{self.client_secret_env}, which is not set",
                hint=f"export {self.client_secret_env}=... before running ledgerbridge",
            )
        return value


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    orgnr: str | None = None
    sie: FolderSource | None = None
    erp_files: FolderSource | None = None
    tryton: TrytonSource | None = None
    fortnox: FortnoxSource | None = None
    bank: FolderSource | None = None
    einvoice: FolderSource | None = None
    mapped: FolderSource | None = None
    budget: FolderSource | None = None


@dataclass(frozen=True)
class Alerts:
    """Where a failed scheduled run (and its recovery) is announced, besides the log:
    ``[alerts]`` with ``webhook`` (a URL that gets a JSON POST) and/or ``email_to`` (sent
    through ``smtp_host``:``smtp_port`` from ``email_from``)."""

    webhook: str | None = None
    email_to: tuple[str, ...] = ()
    smtp_host: str = "localhost"
    smtp_port: int = 25
    email_from: str = "ledgerbridge@localhost"


#: the master-data fields whose owner the configuration may set, per object
OWNED_FIELDS = {
    "customer": ("name", "organisation_number", "address"),
    "supplier": ("name", "organisation_number", "address"),
    "article": ("name", "sales_price"),
}
FIELD_OWNERS = ("erp", "accounting")


@dataclass(frozen=True)
class ReverseEtl:
    """``[reverse_etl]``: ``approve_automatically`` names the master-data syncs whose items
    are approved when planned (vouchers and payments always wait for a person);
    ``[reverse_etl.field_owners]`` moves fields to the other side than the default (the seed
    reverse_etl_field_owners), e.g. ``customer = { address = "accounting" }``."""

    approve_automatically: tuple[str, ...] = ()
    #: (object, field, owner) overriding the seed's default
    field_owners: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Settings:
    source_file: Path
    companies: tuple[Company, ...] = field(default_factory=tuple)
    demo: bool = False
    alerts: Alerts = field(default_factory=Alerts)
    reverse_etl: ReverseEtl = field(default_factory=ReverseEtl)

    def company(self, company_id: str) -> Company:
        for company in self.companies:
            if company.id == company_id:
                return company
        known = ", ".join(c.id for c in self.companies) or "none"
        raise ConfigError(
            f"{self.source_file}: no company '{company_id}' (configured: {known})",
        )


SOURCE_KINDS = (*FOLDER_KINDS, "tryton", "fortnox")


def orgnr_digits(orgnr: str | None) -> str:
    """An organisation number's ten digits, however it is written (556677-8899, 165566778899)."""
    return re.sub(r"\D", "", orgnr or "")[-10:]


def find_config_file(paths: Paths, explicit: Path | None = None) -> Path:
    """The configuration file to use: --config, $LEDGERBRIDGE_CONFIG, ./ledgerbridge.toml, then
    $LEDGERBRIDGE_HOME/ledgerbridge.toml (where ``ledgerbridge demo`` writes the demo's)."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"configuration file {explicit} does not exist")
        return explicit.resolve()
    if os.environ.get(CONFIG_ENV):
        candidate = Path(os.environ[CONFIG_ENV])
        if not candidate.is_file():
            raise ConfigError(f"{CONFIG_ENV} points to {candidate}, which does not exist")
        return candidate.resolve()
    for candidate in (Path.cwd() / CONFIG_FILENAME, paths.config_file):
        if candidate.is_file():
            return candidate.resolve()
    raise ConfigError(
        f"no {CONFIG_FILENAME} found (looked in {Path.cwd()} and {paths.home})",
        hint="run `ledgerbridge demo` to try the demo company, or copy "
        "ledgerbridge.example.toml to ledgerbridge.toml and describe your company (see README)",
    )


def load_settings(paths: Paths, explicit: Path | None = None) -> Settings:
    path = find_config_file(paths, explicit)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return parse_settings(raw, path)


def parse_settings(raw: dict, path: Path) -> Settings:
    base = path.parent
    companies_raw = raw.get("companies")
    if not isinstance(companies_raw, dict) or not companies_raw:
        raise ConfigError(
            f"{path}: no companies configured; expected a [companies.<id>] table",
            hint="see ledgerbridge.example.toml",
        )
    companies = []
    for company_id, body in companies_raw.items():
        where = f"{path}: [companies.{company_id}]"
        if not _COMPANY_ID.match(company_id):
            raise ConfigError(
                f"{where}: company id must be lower-case letters, digits and _ "
                "(it becomes part of every row's key)",
            )
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: expected a table")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: 'name' is required (the company's legal name)")
        sources = body.get("sources", {})
        if not isinstance(sources, dict):
            raise ConfigError(f"{where}.sources: expected a table")
        if not sources:
            raise ConfigError(
                f"{where}: no sources; add [companies.{company_id}.sources.sie] (a folder of "
                f"SIE exports) or [companies.{company_id}.sources.erp_files]",
            )
        unknown = set(sources) - set(SOURCE_KINDS)
        if unknown:
            raise ConfigError(
                f"{where}.sources: unknown source type(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(SOURCE_KINDS)}",
            )
        companies.append(
            Company(
                id=company_id,
                name=name.strip(),
                orgnr=body.get("orgnr"),
                tryton=_tryton(sources["tryton"], where) if "tryton" in sources else None,
                fortnox=_fortnox(sources["fortnox"], where) if "fortnox" in sources else None,
                **{
                    kind: FolderSource(_folder(sources, kind, base, where))
                    for kind in FOLDER_KINDS
                    if kind in sources
                },
            )
        )
    for company in companies:
        _refuse_shared_folders(company, f"{path}: [companies.{company.id}]")
    return Settings(
        source_file=path,
        companies=tuple(companies),
        demo=bool(raw.get("demo", False)),
        alerts=_alerts(raw.get("alerts", {}), f"{path}: [alerts]"),
        reverse_etl=_reverse_etl(raw.get("reverse_etl", {}), f"{path}: [reverse_etl]"),
    )


def _reverse_etl(raw: object, where: str) -> ReverseEtl:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    unknown = set(raw) - {"approve_automatically", "field_owners"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: "
            "approve_automatically, field_owners"
        )
    names = raw.get("approve_automatically", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{where}: approve_automatically must be a list of sync names")
    return ReverseEtl(
        approve_automatically=tuple(names),
        field_owners=_field_owners(raw.get("field_owners", {}), f"{where}.field_owners"),
    )


def _field_owners(raw: object, where: str) -> tuple[tuple[str, str, str], ...]:
    if not isinstance(raw, dict):
        raise ConfigError(f'{where}: expected a table, e.g. customer = {{ address = "erp" }}')
    owners = []
    for thing, fields in raw.items():
        if thing not in OWNED_FIELDS:
            raise ConfigError(f"{where}: no object {thing!r}; known: {', '.join(OWNED_FIELDS)}")
        if not isinstance(fields, dict):
            raise ConfigError(f"{where}.{thing}: expected a table of field = owner")
        for name, owner in fields.items():
            if name not in OWNED_FIELDS[thing]:
                raise ConfigError(
                    f"{where}.{thing}: no field {name!r}; known: " + ", ".join(OWNED_FIELDS[thing])
                )
            if owner not in FIELD_OWNERS:
                raise ConfigError(
                    f'{where}.{thing}.{name}: owner must be "erp" or "accounting", not {owner!r}'
                )
            owners.append((thing, name, owner))
    return tuple(owners)


def _alerts(raw: object, where: str) -> Alerts:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    unknown = set(raw) - {"webhook", "email_to", "smtp_host", "smtp_port", "email_from"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: webhook, email_to, "
            "smtp_host, smtp_port, email_from"
        )
    webhook = raw.get("webhook")
    if webhook is not None:
        parts = urlsplit(str(webhook))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{where}: webhook {webhook!r} is not an http(s) URL")
    email_to = raw.get("email_to", [])
    if isinstance(email_to, str):
        email_to = [email_to]
    if not isinstance(email_to, list) or not all(isinstance(a, str) and "@" in a for a in email_to):
        raise ConfigError(f"{where}: email_to must be an address or a list of addresses")
    port = raw.get("smtp_port", 25)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{where}: smtp_port must be a port number, not {port!r}")
    return Alerts(
        webhook=str(webhook) if webhook else None,
        email_to=tuple(email_to),
        smtp_host=str(raw.get("smtp_host", "localhost")),
        smtp_port=port,
        email_from=str(raw.get("email_from", "ledgerbridge@localhost")),
    )


def _refuse_shared_folders(company: Company, where: str) -> None:
    """Each folder source reads every file of its kind in its folder (and moves what it cannot
    read to quarantine): two sources on one folder would take each other's files."""
    seen: dict[Path, str] = {}
    for kind in FOLDER_KINDS:
        source = getattr(company, kind)
        if source is None:
            continue
        if source.folder in seen:
            raise ConfigError(
                f"{where}: sources.{seen[source.folder]} and sources.{kind} both read "
                f"{source.folder}",
                hint="give each source a folder of its own",
            )
        seen[source.folder] = kind


def _folder(sources: dict, kind: str, base: Path, where: str) -> Path:
    body = sources[kind]
    if not isinstance(body, dict) or not isinstance(body.get("folder"), str):
        raise ConfigError(f"{where}.sources.{kind}: 'folder' is required (a path)")
    folder = Path(os.path.expandvars(body["folder"])).expanduser()
    return folder if folder.is_absolute() else (base / folder).resolve()


def _tryton(body: object, where: str) -> TrytonSource:
    where = f"{where}.sources.tryton"
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: expected a table")
    timing = {}
    for key, unit in (("deletion_check_hours", "hours"), ("overlap_seconds", "seconds")):
        if key in body:
            value = body[key]
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{where}: '{key}' must be a number of {unit} (>= 0)")
            timing[key] = float(value)
    if body.get("sandbox") is True:
        return TrytonSource(sandbox=True, **timing)
    missing = [k for k in ("url", "database", "user", "password_env") if not body.get(k)]
    if missing:
        raise ConfigError(
            f"{where}: {', '.join(missing)} required (or sandbox = true for the sandbox ERP)",
            hint='url = "https://erp.example.se/", database = "tryton", user = "ledgerbridge", '
            'password_env = "TRYTON_PASSWORD" (the password itself stays out of the file)',
        )
    for key in ("url", "database", "user", "password_env"):
        if not isinstance(body[key], str):
            raise ConfigError(f"{where}: '{key}' must be text")
    if not body["url"].startswith(("http://", "https://")):
        raise ConfigError(f"{where}: url must start with http:// or https://, not {body['url']!r}")
    return TrytonSource(
        url=body["url"],
        database=body["database"],
        user=body["user"],
        password_env=body["password_env"],
        **timing,
    )


def _fortnox(body: object, where: str) -> FortnoxSource:
    where = f"{where}.sources.fortnox"
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: expected a table")
    known = {"sandbox", "client_id", "client_secret_env", "redirect_uri", "api_url",
             "auth_url", "overlap_seconds"}  # fmt: skip
    unknown = sorted(set(body) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
            hint="the client secret never goes in the file: name the environment variable "
            "that holds it with client_secret_env"
            if "client_secret" in unknown
            else None,
        )
    timing = {}
    if "overlap_seconds" in body:
        value = body["overlap_seconds"]
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{where}: 'overlap_seconds' must be a number of seconds (>= 0)")
        timing["overlap_seconds"] = float(value)
    if body.get("sandbox") is True:
        return FortnoxSource(sandbox=True, **timing)
    missing = [k for k in ("client_id", "client_secret_env", "redirect_uri") if not body.get(k)]
    if missing:
        raise ConfigError(
            f"{where}: {', '.join(missing)} required (or sandbox = true for the Fortnox sandbox)",
            hint='client_id = "…", client_secret_env = "FORTNOX_CLIENT_SECRET", '
            'redirect_uri = "https://…" (as registered in Fortnox\'s developer portal; '
            "the secret itself stays out of the file)",
        )
    urls = {}
    for key in ("client_id", "client_secret_env", "redirect_uri", "api_url", "auth_url"):
        if key in body and not isinstance(body[key], str):
            raise ConfigError(f"{where}: '{key}' must be text")
    for key in ("api_url", "auth_url", "redirect_uri"):
        if key in body and not body[key].startswith(("http://", "https://")):
            raise ConfigError(
                f"{where}: {key} must start with https:// (or http:// for localhost), "
                f"not {body[key]!r}"
            )
        if key in ("api_url", "auth_url") and key in body:
            host = urlsplit(body[key]).hostname or ""
            if body[key].startswith("http://") and host not in ("localhost", "127.0.0.1", "::1"):
                raise ConfigError(
                    f"{where}: {key} {body[key]} is not HTTPS: tokens would travel in clear "
                    "text (plain http is accepted for localhost only)"
                )
            urls[key] = body[key]
    return FortnoxSource(
        client_id=body["client_id"],
        client_secret_env=body["client_secret_env"],
        redirect_uri=body["redirect_uri"],
        **urls,
        **timing,
    )
