import json
import re
from decimal import Decimal

from odoo import api, models
from odoo.exceptions import UserError

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, ConflictError
from odoo.addons.healthcare_integration_base.tools.payload import canonical_json, sha256_hex
from odoo.addons.healthcare_integration_base.tools.tracecontext import make_traceparent

from ..tools import x12_835

EVENT_TYPE = "remittance.835"
SCHEMA_VERSION = "1.0"
#: Quoted element values in parser messages: dropped before anything is stored, so that a
#: name sent in the wrong element never reaches the database through an error message.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
#: How many issues an exception lists before summarising the rest.
MAX_LISTED_ISSUES = 20
#: JSON issues that are contract errors (answered 422), not business rejections.
STRUCTURAL_CODES = {
    "missing_field": "required property missing",
    "invalid_type": "has the wrong type",
    "invalid_amount": "must be a decimal amount with at most 2 decimals",
    "invalid_number": "must be a decimal number",
    "invalid_date": "must be an ISO date (YYYY-MM-DD)",
    "invalid_code": "is not an accepted code",
}


def _safe_issue(issue):
    """An :class:`x12_835.X12Issue` (or its dict) without element values."""
    data = issue.to_dict() if hasattr(issue, "to_dict") else dict(issue)
    code = data.get("code") or "invalid"
    message = data.get("message") or ""
    if not code.startswith("balance."):
        message = _QUOTED.sub("'…'", message)
    return {
        "position": data.get("position"),
        "segment_id": data.get("segment_id"),
        "path": data.get("path"),
        "code": code,
        "message": message[:500],
        "expected": data.get("expected"),
        "actual": data.get("actual"),
    }


class HcRcmHandlerRemittance(models.AbstractModel):
    """Payer remittances: ASC X12 835 (005010X221A1) files or their JSON equivalent.

    Ingest (webhook, upload wizard, inbound folder) parses the body with the addon's X12
    parser into a minimised JSON payload (no patient names, member ids, dates of service or
    bank data: the parser never keeps them), so the flow needs no allow-list. The file's
    message then queues one child message per transaction on the same flow, with event id
    ``835:<payer>:<trace number>``: each transaction has its own state, retries, exception
    and audit trail; the same transaction twice is a duplicate (posted once) and the same
    trace with other content a "conflicting resend" exception. Payloads (``kind``):

    * ``file`` — ``{"source", "file_issues", "transactions": [remittance + "issues"]}``;
    * ``transaction`` — ``{"source": {"event_id", "index"}, "transaction": {...}}``;
    * ``resend_conflict`` — a transaction whose trace was already received with other
      content; it always ends in a conflict exception.
    """

    _name = "hc.rcm.handler.remittance"
    _inherit = ["hc.integration.handler", "hc.rcm.handler.mixin"]
    _description = "Revenue cycle: payer remittance (X12 835)"
    _hc_allowlist = None  # minimised by the parser itself

    # ------------------------------------------------------------------------------------
    # Ingest
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_parse_body(self, flow, body, content_type):
        if isinstance(body, str):
            body = body.encode()
        mimetype = (content_type or "").split(";")[0].strip().lower()
        if flow.payload_format == "json" or mimetype == "application/json":
            return self._hc_rcm_payload_from_json(body)
        return self._hc_rcm_payload_from_x12(body)

    @api.model
    def _hc_rcm_payload_from_x12(self, body):
        try:
            result = x12_835.parse(body)
        except x12_835.X12ParseError as error:
            where = f" at segment {error.position}" if error.position else ""
            reason = _QUOTED.sub("'…'", error.message)[:200]
            raise ValueError(f"not a readable X12 835 interchange{where}: {reason}") from None
        if not result.transactions:
            raise ValueError("the interchange holds no 835 transaction (ST/SE)")
        in_transactions = {id(issue) for rem in result.transactions for issue in rem.errors}
        return {
            "event_type": EVENT_TYPE,
            "schema_version": SCHEMA_VERSION,
            "kind": "file",
            "source": {
                "format": "x12",
                "segment_count": result.segment_count,
                "interchange_count": result.interchange_count,
                "transaction_count": len(result.transactions),
            },
            "file_issues": [
                _safe_issue(issue) for issue in result.errors if id(issue) not in in_transactions
            ],
            "transactions": [
                dict(rem.to_dict(), issues=[_safe_issue(issue) for issue in rem.errors])
                for rem in result.transactions
            ],
        }

    @api.model
    def _hc_rcm_payload_from_json(self, body):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ValueError("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")  # noqa: TRY004 - a 400
        if "transactions" in data:
            items = data.get("transactions")
        else:
            items = [
                {
                    key: data[key]
                    for key in data
                    if key not in ("event_type", "schema_version", "occurred_at")
                }
            ]
        if not isinstance(items, list) or not items:
            raise ValueError("'transactions' must be a non-empty list of remittances")
        transactions = []
        for item in items:
            if not isinstance(item, dict):
                raise ValueError("each remittance must be a JSON object")  # noqa: TRY004 - a 400
            rem = x12_835.parse_835_json(item)
            transactions.append(
                dict(rem.to_dict(), issues=[_safe_issue(issue) for issue in rem.errors])
            )
        payload = {
            key: data[key] for key in ("event_type", "schema_version", "occurred_at") if key in data
        }
        payload.update(
            kind="file",
            source={"format": "json", "transaction_count": len(transactions)},
            file_issues=[],
            transactions=transactions,
        )
        return payload

    @api.model
    def _hc_check_payload(self, flow, payload):
        """JSON input: contract errors (missing fields, wrong types, bad amounts) are a 422
        like for any JSON event. Balancing problems, and every problem of an X12 file, are
        accepted and rejected per transaction at processing (an exception with the
        difference), so that one bad transaction never blocks the others."""
        if (payload.get("source") or {}).get("format") != "json":
            return []
        errors = []
        if not payload.get("occurred_at"):
            errors.append({"path": "/occurred_at", "message": "required property missing"})
        for index, entry in enumerate(payload.get("transactions") or []):
            for issue in entry.get("issues") or []:
                code = issue.get("code")
                if code in STRUCTURAL_CODES:
                    path = issue.get("path") or ""
                    errors.append(
                        {"path": f"/transactions/{index}{path}", "message": STRUCTURAL_CODES[code]}
                    )
        return errors

    @api.model
    def _hc_ordering_key(self, flow, payload):
        """Transactions of one payer are posted in arrival order (a reversal after the
        payment it reverses). Their arrival is the split of their file, so files are split
        in the order they arrived too: split by two lanes at once, a reversal's file could
        queue its transaction before the file of the payment it reverses (splitting is
        quick: one file at a time costs little)."""
        if payload.get("kind") in ("transaction", "resend_conflict"):
            payer_code, _trace = self._hc_rcm_entry_key(payload.get("transaction") or {})
            return f"835:{payer_code}"
        return "835:files"

    @api.model
    def _hc_rcm_ingest(self, flow, data, content_type="application/edi-x12"):
        """Queue an 835 file exactly like a webhook delivery (parse, validate, enqueue), with
        the file's SHA-256 as event id: the same file twice is a duplicate. Used by the
        upload wizard and the inbound folder. Returns ``(message, status)``; an unreadable
        or invalid file raises a :class:`UserError` with a value-free reason."""
        payload, digest = self._hc_rcm_read_file(flow, data, content_type)
        return self._hc_rcm_enqueue_file(flow, payload, digest)

    @api.model
    def _hc_rcm_enqueue_file(self, flow, payload, digest):
        """Queue the minimised ``payload`` of a file read by :meth:`_hc_rcm_read_file`."""
        return self.env["hc.integration.message"]._hc_enqueue(
            flow, payload, external_id=digest, content_hash=digest
        )

    @api.model
    def _hc_rcm_read_file(self, flow, data, content_type="application/edi-x12"):
        """Parse and validate an 835 file; return ``(minimised payload, SHA-256)``. The raw
        data goes no further: callers keep only what this returns."""
        flow.ensure_one()
        if flow.handler_model != self._name:
            raise UserError(self.env._("Flow %s does not receive remittances.", flow.display_name))
        if isinstance(data, str):
            data = data.encode()
        if not data:
            raise UserError(self.env._("The file is empty."))
        if len(data) > flow.max_body_bytes:
            raise UserError(
                self.env._(
                    "The file is larger than the %(limit)s bytes flow %(flow)s accepts.",
                    limit=flow.max_body_bytes,
                    flow=flow.display_name,
                )
            )
        try:
            payload = self._hc_parse_body(flow, data, content_type)
        except ValueError as error:
            raise UserError(self.env._("The file cannot be read: %s.", error)) from None
        errors = flow._validate_payload(payload)
        if errors:
            listed = "\n".join(f"• {e['path']}: {e['message']}" for e in errors[:MAX_LISTED_ISSUES])
            raise UserError(self.env._("The file does not match the contract:\n%s", listed))
        return payload, sha256_hex(data)

    # ------------------------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------------------------
    def _hc_process(self, message):
        payload = message.payload or {}
        kind = payload.get("kind") or "file"
        if kind == "file":
            return self._hc_rcm_split_file(message, payload)
        if kind == "transaction":
            return self._hc_rcm_process_transaction(message, payload)
        if kind == "resend_conflict":
            return self._hc_rcm_resend_conflict(message, payload)
        raise BusinessError(self.env._("Unknown remittance message kind %s.", kind))

    @api.model
    def _hc_rcm_entry_key(self, entry):
        """``(payer code, trace number)`` of a transaction in its JSON form."""
        header = entry.get("header") or {}
        payer = (header.get("payer") or {}).get("id")
        trace = header.get("trace") or {}
        return payer or trace.get("originator") or "unknown", trace.get("number")

    @api.model
    def _hc_rcm_payer_code(self, rem):
        """The payer identifier of a parsed remittance: N1*PR N104 (or REF*2U), else TRN03."""
        return (rem.payer.id if rem.payer else None) or (
            rem.trace.originator if rem.trace else None
        )

    @api.model
    def _hc_rcm_content_hash(self, entry):
        """SHA-256 of what the payer says (not of the envelope, production date or the
        derived issues/totals), so a resend in a new interchange is still the same."""
        header = dict(entry.get("header") or {})
        header.pop("envelope", None)
        header.pop("production_date", None)
        content = {
            "header": header,
            "claims": entry.get("claims") or [],
            "provider_adjustments": entry.get("provider_adjustments") or [],
        }
        return sha256_hex(canonical_json(content))

    def _hc_rcm_split_file(self, message, payload):
        """Queue each transaction of the file as its own message."""
        Message = self.env["hc.integration.message"]
        flow = message.flow_id
        counts = {"created": 0, "duplicate": 0, "conflict": 0}
        traceparent = make_traceparent(message.trace_id) if message.trace_id else None
        for index, entry in enumerate(payload.get("transactions") or []):
            payer_code, trace = self._hc_rcm_entry_key(entry)
            content_hash = self._hc_rcm_content_hash(entry)
            external_id = f"835:{payer_code}:{trace or 'notrace-' + content_hash[:16]}"
            child_payload = {
                "event_type": EVENT_TYPE,
                "schema_version": SCHEMA_VERSION,
                "kind": "transaction",
                "source": {"event_id": message.external_id, "index": index},
                "transaction": entry,
            }
            child, status = Message._hc_enqueue(
                flow,
                child_payload,
                external_id=external_id,
                content_hash=content_hash,
                traceparent=traceparent,
                minimized=True,
            )
            counts[status] += 1
            if status == "conflict":
                Message._hc_enqueue(
                    flow,
                    dict(
                        child_payload,
                        kind="resend_conflict",
                        conflict={"message_id": child.id, "event_id": child.external_id},
                    ),
                    external_id=f"{external_id}:resend:{content_hash[:16]}",
                    content_hash=content_hash,
                    traceparent=traceparent,
                    minimized=True,
                )
        issues = payload.get("file_issues") or []
        self.env["hc.integration.audit"]._log(
            "rcm.835_file",
            f"835 file: {counts['created']} transaction(s) queued, {counts['duplicate']} "
            f"already received, {counts['conflict']} conflicting resend(s)"
            + (
                ", envelope issues: "
                + "; ".join(f"{i.get('code')} at segment {i.get('position')}" for i in issues[:5])
                if issues
                else ""
            ),
            message=message,
            backend=message.backend_id,
            trace_id=message.trace_id,
        )

    def _hc_rcm_process_transaction(self, message, payload):
        entry = payload.get("transaction") or {}
        issues = entry.get("issues") or []
        rem = None
        if not issues:
            rem = x12_835.parse_835_json({k: v for k, v in entry.items() if k != "issues"})
            issues = [_safe_issue(issue) for issue in rem.errors]
        if issues:
            raise BusinessError(
                self._hc_rcm_rejection_text(entry, issues),
                detail=json.dumps(issues, indent=1),
            )
        return self.env["hc.rcm.remittance"]._hc_rcm_post_remittance(
            message, rem, message.content_hash or self._hc_rcm_content_hash(entry)
        )

    def _hc_rcm_rejection_text(self, entry, issues):
        payer_code, trace = self._hc_rcm_entry_key(entry)
        lines = []
        for issue in issues[:MAX_LISTED_ISSUES]:
            where = (
                f"segment {issue['position']} ({issue['segment_id']})"
                if issue.get("position")
                else issue.get("path") or ""
            )
            text = f"• {where}: {issue.get('message')}" if where else f"• {issue.get('message')}"
            lines.append(text)
        if len(issues) > MAX_LISTED_ISSUES:
            lines.append(self.env._("… and %s more.", len(issues) - MAX_LISTED_ISSUES))
        payment = [i for i in issues if i.get("code") == "balance.payment"]
        summary = ""
        if payment and payment[0].get("expected") and payment[0].get("actual"):
            difference = Decimal(payment[0]["actual"]) - Decimal(payment[0]["expected"])
            summary = self.env._(
                "The payment of %(actual)s does not balance with the claims paid minus the "
                "provider adjustments (%(expected)s): difference %(difference)s.\n",
                actual=payment[0]["actual"],
                expected=payment[0]["expected"],
                difference=f"{difference:.2f}",
            )
        return self.env._(
            "Remittance %(trace)s from %(payer)s was rejected whole; nothing of it was "
            "posted.\n%(summary)s%(lines)s\n"
            "Ask the payer or the clearinghouse for a corrected file. Ignore this exception "
            "once the corrected remittance is posted.",
            trace=trace or "?",
            payer=payer_code,
            summary=summary,
            lines="\n".join(lines),
        )

    def _hc_rcm_resend_conflict(self, message, payload):
        payer_code, trace = self._hc_rcm_entry_key(payload.get("transaction") or {})
        conflict = payload.get("conflict") or {}
        raise ConflictError(
            self.env._(
                "Conflicting resend: %(payer)s sent trace number %(trace)s again with content "
                "different from the remittance already received (event %(event)s); nothing of "
                "this one was posted.\n"
                "Compare the two messages and ask the payer or the clearinghouse which one is "
                "right: a corrected remittance needs a new trace number.",
                payer=payer_code,
                trace=trace or "?",
                event=conflict.get("event_id") or "?",
            )
        )
