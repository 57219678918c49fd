"""Messaging for the demo organisation: a filled location page, news (one with a PDF attached), newsletters
and a few conversations, so a newcomer's inbox and news are not empty.

Written as a client of the real HTTP API (the same routes, validation and uploads an app uses): the
demo people sign in, upload their PDFs through presigned forms and post. Idempotent: a second start of a
stack that kept its data finds the location page filled and does nothing.
"""

from __future__ import annotations

import io
import threading
from typing import Any

import requests

from infra.local import demo_data as d


def _pdf(title: str, lines: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_creator("ouderportaal demo")
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()


class Stopped(Exception):
    """The stack is shutting down: the seeding ends between two requests."""


class _Client:
    def __init__(self, client: Any, stop: threading.Event | None = None) -> None:
        self.client = client
        self.stop = stop

    def login(self, who: str) -> dict[str, str]:
        answer = self.client.post("/auth/login", json={"organisation": d.DOMAIN, "email": f"{who}@{d.DOMAIN}",
                                                       "password": d.PASSWORD})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return {"Authorization": f"Bearer {answer.json['access_token']}"}

    def call(self, method: str, path: str, headers: dict[str, str], body: Any = None, ok: tuple[int, ...] = (
            200, 201)) -> Any:
        if self.stop is not None and self.stop.is_set():
            raise Stopped()
        answer = self.client.open(path, method=method, headers=headers, json=body)
        if answer.status_code not in ok:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
        return answer.json

    def attach(self, headers: dict[str, str], file_name: str, data: bytes) -> str:
        form = self.call("POST", "/messaging/attachments", headers, {
            "file_name": file_name, "content_type": "application/pdf", "size": len(data)})
        sent = requests.post(form["url"], data=form["fields"], files={"file": (file_name, data)}, timeout=30)
        sent.raise_for_status()
        self.call("POST", f"/messaging/attachments/{form['attachment_id']}/complete", headers)
        return str(form["attachment_id"])


def seed_messaging(client: Any, stop: threading.Event | None = None) -> list[str]:
    """`client`: a werkzeug test client over the stack's gateway (the stack's own process); `stop`: the stack
    shutting down (the seeding ends between two requests)."""
    try:
        return _seed(_Client(client, stop))
    except Stopped:
        return ["demo messaging: stopped with the stack"]


def _seed(c: _Client) -> list[str]:
    manager, admin = c.login("manager"), c.login("admin")
    location = f"/messaging/locations/{d.LOCATION_ID}"
    if c.call("GET", location, manager)["opening_hours"]:
        return ["demo messaging: already present"]
    c.call("PUT", f"{location}/opening-hours", manager, {"opening_hours": [
        {"weekday": day, "open": "07:30", "close": "18:30"} for day in range(1, 6)]})
    for kind, title, version, valid_from, lines in (
        ("safety_health", "Beleid veiligheid en gezondheid", "2026.1", "2026-01-01",
         ["Zo zorgen we voor een veilige en gezonde omgeving.", "Risico's, afspraken en het vierogenprincipe."]),
        ("pedagogical", "Pedagogisch beleidsplan", "2025.2", "2025-09-01",
         ["Onze visie op spelen, leren en samen zijn.", "Mentorschap, wenbeleid en observaties."]),
    ):
        pdf = c.attach(manager, f"{kind.replace('_', '-')}-{version}.pdf", _pdf(title, lines))
        c.call("POST", f"{location}/policies", manager, {"kind": kind, "title": title, "version": version,
                                                          "valid_from": valid_from, "attachment_id": pdf})
    rooster = c.attach(manager, "openingstijden-feestdagen.pdf", _pdf(
        "Openingstijden rond de feestdagen", ["24 december: open tot 17:00.", "25 en 26 december: gesloten.",
                                              "31 december: open tot 17:00.", "1 januari: gesloten."]))
    c.call("POST", "/messaging/news", manager, {
        "title": "Openingstijden rond de feestdagen", "location_id": d.LOCATION_ID, "pinned": True,
        "body": "Rond kerst en oud en nieuw gelden aangepaste openingstijden. In de bijlage staat het rooster.",
        "attachment_ids": [rooster]})
    c.call("POST", "/messaging/news", manager, {
        "title": "Sinterklaas komt op bezoek", "location_id": d.LOCATION_ID,
        "body": "Op vrijdag 4 december komt Sinterklaas langs. De kinderen mogen verkleed komen!"})
    c.call("POST", "/messaging/news", admin, {
        "title": "Nieuwe ouderportaal-app",
        "body": "Vanaf deze maand vind je foto's, het dagboek, berichten en je facturen op één plek."})
    c.call("POST", "/messaging/newsletters", manager, {
        "title": "Nieuwsbrief november", "location_id": d.LOCATION_ID,
        "body": "Deze maand: herfstwandelingen, de nieuwe peuterhoek en een terugblik op de ouderavond."})
    c.call("POST", "/messaging/newsletters", admin, {
        "title": "Nieuwsbrief Kinderopvang Demo",
        "body": "Het jaar in vogelvlucht, de tarieven voor 2027 en wat we doen met jullie feedback."})
    conversations = 0
    for parent, child, text, answer in (
        ("parent1", "child-noor", "Noor heeft vannacht slecht geslapen. Willen jullie haar vandaag wat rust gunnen?",
         ("staff1", "Dank je wel voor het laten weten! We leggen haar na de lunch extra vroeg te slapen.")),
        ("parent4", "child-yara", "Yara wordt vrijdag om 16:00 door haar oma opgehaald.", None),
        ("parent3", "child-liam", "Liam vindt het spannend dat er een nieuwe juf is. Kunnen jullie daar op letten?",
         ("staff3", "Zeker. We stellen haar vanochtend samen met Liam voor aan de groep.")),
    ):
        started = c.call("POST", "/messaging/conversations", c.login(parent), {"child_id": child, "text": text})
        conversations += 1
        if answer:
            c.call("POST", f"/messaging/conversations/{started['id']}/messages", c.login(answer[0]),
                   {"text": answer[1]})
    return [f"demo messaging: location page with 2 policies, 3 news items (1 with a PDF), 2 newsletters, "
            f"{conversations} conversations"]
