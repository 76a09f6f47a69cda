"""Telling people that a scheduled run failed, and that a later one recovered: always in the
log (``logs/scheduler.log``), and by webhook and/or e-mail as ``[alerts]`` configures."""

from __future__ import annotations

import json
import logging
import smtplib
from email.message import EmailMessage

import requests

from ledgerbridge.config import Alerts

log = logging.getLogger("ledgerbridge.scheduler")


def notify(alerts: Alerts, event: dict) -> list[str]:
    """Send ``event`` (kind: failed | recovered, schedule, job, message, …) everywhere it is
    configured; answers what could not be reached (an alert must never stop the scheduler)."""
    subject = f"ledgerbridge: schedule {event['schedule']} {event['kind']}"
    log.log(logging.ERROR if event["kind"] == "failed" else logging.INFO,
            "%s: %s", subject, event.get("message", ""))  # fmt: skip
    problems = []
    if alerts.webhook:
        try:
            response = requests.post(alerts.webhook, json=event, timeout=10)
            response.raise_for_status()
        except requests.RequestException as exc:
            problems.append(f"webhook {alerts.webhook}: {exc}")
    if alerts.email_to:
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = alerts.email_from
        message["To"] = ", ".join(alerts.email_to)
        message.set_content(json.dumps(event, indent=2, ensure_ascii=False))
        try:
            with smtplib.SMTP(alerts.smtp_host, alerts.smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            problems.append(f"e-mail via {alerts.smtp_host}:{alerts.smtp_port}: {exc}")
    for problem in problems:
        log.warning("the alert could not be sent: %s", problem)
    return problems
