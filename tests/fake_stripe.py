"""Stripe's API as far as the platform's billing uses it (tenants.billing_stripe), for the calls
localstripe lacks: customers, prices by lookup key, Checkout and portal sessions, a subscription
to retrieve, change and cancel, invoices. `FakeStripe` answers as Stripe does and keeps each
request (method, path, form parameters, idempotency key) for the contract tests; `FakeStripeClient`
puts it behind the SDK's HTTP client; `FakeStripeServer` serves it over HTTP with Checkout's and
the portal's pages, where paying sends the signed webhooks Stripe would."""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

STRIPE_API_VERSION = "2024-06-20"


class FakeStripe:
    def __init__(self, base: str = "https://checkout.stripe.com"):
        self.base = base
        self.calls: list[tuple[str, str, dict, str | None]] = []
        self.ids = itertools.count(1)
        self.prices: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.subscription = {"id": "sub_live", "object": "subscription", "status": "active", "items": {
            "object": "list", "data": [{"id": "si_live", "object": "subscription_item", "price": {"id": "price_old"}}]}}
        self.invoices: list[dict] = [
            {"id": "in_1", "object": "invoice", "number": "TESS-0001", "created": 1_764_000_000, "total": 29900,
             "currency": "usd", "status": "paid", "hosted_invoice_url": "https://invoice.stripe.com/i/in_1"}]
        self.refuse: str | None = None  # a path answered with an error
        self.needs_confirming = False  # a plan change's card needs 3-D Secure

    def handle(self, method: str, path: str, params: dict, key: str | None = None) -> tuple[int, dict]:
        self.calls.append((method, path, params, key))
        if self.refuse and path == self.refuse:
            return 400, {"error": {"type": "invalid_request_error", "message": "No such thing"}}
        return 200, self._answer(method, path, params)

    def _answer(self, method: str, path: str, params: dict) -> dict:
        number = next(self.ids)
        if path == "/v1/customers":
            return {"id": f"cus_{number}", "object": "customer", "email": params.get("email")}
        if path == "/v1/prices" and method == "GET":
            found = self.prices.get(params["lookup_keys[0]"])
            return {"object": "list", "data": [found] if found else [], "has_more": False, "url": path}
        if path == "/v1/prices":
            price = {"id": f"price_{number}", "object": "price", "lookup_key": params["lookup_key"],
                     "unit_amount": int(params["unit_amount"]), "currency": params["currency"]}
            self.prices[params["lookup_key"]] = price
            return price
        if path == "/v1/checkout/sessions":
            session = {"id": f"cs_{number}", "object": "checkout.session", "url": f"{self.base}/c/cs_{number}",
                       "mode": params["mode"], "customer": params["customer"], "params": params}
            self.sessions[session["id"]] = session
            return session
        if path == "/v1/billing_portal/sessions":
            return {"id": f"bps_{number}", "object": "billing_portal.session",
                    "url": f"{self.base}/p/session/{number}?{urllib.parse.urlencode({'back': params['return_url']})}"}
        if path == "/v1/subscriptions/sub_live" and method == "DELETE":
            return {**self.subscription, "status": "canceled"}
        if path == "/v1/subscriptions/sub_live" and method == "POST":
            return {**self.subscription, "pending_update": {"expires_at": 1} if self.needs_confirming else None,
                    "latest_invoice": {"id": "in_change", "object": "invoice",
                                       "hosted_invoice_url": "https://invoice.stripe.com/i/in_change"}}
        if path == "/v1/subscriptions/sub_live":
            return self.subscription
        if path == "/v1/invoices":
            return {"object": "list", "has_more": False, "url": path, "data": self.invoices}
        raise AssertionError(f"billing made a call it should not: {method} {path}")

    def made(self, method: str, path: str) -> list[dict]:
        return [params for verb, where, params, _key in self.calls if (verb, where) == (method, path)]

    def paid(self, session_id: str) -> tuple[dict, dict]:
        """What Stripe tells when Checkout's session is paid: the session completed, its first
        invoice paid for a month of the session's price."""
        session = self.sessions[session_id]
        price = next(p for p in self.prices.values() if p["id"] == session["params"]["line_items[0][price]"])
        now = int(time.time())
        invoice = {"id": f"in_{next(self.ids)}", "object": "invoice", "number": f"TESS-{len(self.invoices) + 1:04d}",
                   "customer": session["customer"], "subscription": "sub_live", "status": "paid",
                   "created": now, "total": price["unit_amount"], "amount_paid": price["unit_amount"],
                   "currency": price["currency"], "hosted_invoice_url": None,
                   "lines": {"object": "list", "data": [{
                       "id": "il_1", "object": "line_item", "amount": price["unit_amount"], "proration": False,
                       "period": {"start": now, "end": now + 30 * 86_400}, "price": price}]}}
        self.invoices.insert(0, invoice)
        completed = {"id": session_id, "object": "checkout.session", "mode": "subscription",
                     "customer": session["customer"], "subscription": "sub_live", "payment_status": "paid"}
        return completed, invoice


def signed_event(event_type: str, data: dict, secret: str, event_id: str | None = None) -> tuple[str, str]:
    """An event as Stripe sends it: the JSON, and its Stripe-Signature header."""
    payload = json.dumps({"id": event_id or f"evt_{secrets.token_hex(12)}", "object": "event", "type": event_type,
                          "api_version": STRIPE_API_VERSION, "created": int(time.time()), "livemode": False,
                          "data": {"object": data}})
    return payload, stripe.WebhookSignature.generate_signature_header(payload, secret)


class FakeStripeClient(stripe.HTTPClient):
    """The SDK's HTTP client, answered by a FakeStripe in the same process."""

    name = "fake"

    def __init__(self, fake: FakeStripe):
        super().__init__()
        self.fake = fake

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urllib.parse.urlsplit(url)
        params = dict(urllib.parse.parse_qsl(post_data or parts.query))
        status, body = self.fake.handle(method.upper(), parts.path, params, (headers or {}).get("Idempotency-Key"))
        return json.dumps(body), status, {}

    def close(self):
        pass


class FakeStripeServer:
    """The fake over HTTP (STRIPE_API_BASE points here), with the pages Stripe hosts: Checkout's
    pay button sends the signed webhooks to `webhook_url` and returns to the success URL."""

    def __init__(self, webhook_url: str, secret: str):
        server = self
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.owner = server
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.fake = FakeStripe(base=self.url)
        self.fake.invoices = []
        self.webhook_url, self.secret = webhook_url, secret
        self.delivered: list[tuple[str, int]] = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def deliver(self, event_type: str, data: dict) -> None:
        payload, signature = signed_event(event_type, data, self.secret)
        request = urllib.request.Request(self.webhook_url, data=payload.encode(), method="POST", headers={
            "Content-Type": "application/json", "Stripe-Signature": signature})
        with urllib.request.urlopen(request, timeout=30) as answer:
            self.delivered.append((event_type, answer.status))

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"></head>
<body style="font-family:sans-serif;margin:2rem"><h1>{title}</h1>{body}</body></html>"""


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status: int, body: str, content_type: str = "application/json", location: str | None = None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(data)

    def _api(self, method: str):
        parts = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode() if length else parts.query
        status, body = self.server.owner.fake.handle(method, parts.path, dict(urllib.parse.parse_qsl(form)),
                                                     self.headers.get("Idempotency-Key"))
        self._send(status, json.dumps(body))

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        owner = self.server.owner
        if path.startswith("/c/"):
            session = owner.fake.sessions[path[3:]]
            price = next(p for p in owner.fake.prices.values()
                         if p["id"] == session["params"]["line_items[0][price]"])
            amount = f"{price['unit_amount'] / 100:.2f} {price['currency'].upper()}"
            self._send(200, _PAGE.format(title="Stripe Checkout (fake)", body=(
                f'<p>Subscribe: {amount} a month</p><form method="post" action="{path}/pay">'
                '<button type="submit" id="pay">Subscribe</button></form>')), "text/html; charset=utf-8")
        elif path.startswith("/p/session/"):
            back = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["back"][0]
            self._send(200, _PAGE.format(title="Stripe customer portal (fake)",
                                         body=f'<a id="back" href="{back}">Return</a>'), "text/html; charset=utf-8")
        else:
            self._api("GET")

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        owner = self.server.owner
        if path.startswith("/c/") and path.endswith("/pay"):
            session_id = path[3:-4]
            completed, invoice = owner.fake.paid(session_id)
            owner.deliver("checkout.session.completed", completed)
            owner.deliver("invoice.paid", invoice)
            self._send(303, "", "text/plain", location=owner.fake.sessions[session_id]["params"]["success_url"])
        else:
            self._api("POST")

    def do_DELETE(self):
        self._api("DELETE")
