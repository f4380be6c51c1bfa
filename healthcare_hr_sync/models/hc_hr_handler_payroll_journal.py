from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, StaleEventError
from odoo.addons.healthcare_integration_base.tools.payload import canonical_json, sha256_hex

from ..tools.payroll import amount, control_problems, line_totals, normalised_lines

PERIOD_TYPE = "payroll_period"
#: The account groups each side of a payroll line may post to.
DEBIT_GROUPS = ("expense", "asset")
CREDIT_GROUPS = ("liability", "asset")


class HcHrHandlerPayrollJournal(models.AbstractModel):
    """``payroll.journal`` (batch): one pay run → one balanced entry per pay period and
    company. Earnings and employer contributions debit the expense account of their
    payroll code with the cost centre as analytic distribution; deductions and employer
    contributions credit their liabilities; net pay (earnings − deductions) is credited
    to the company's net pay account.

    The control totals are checked at the door (422). Every code must be mapped before
    anything posts: one exception lists them all. The same figures again change nothing;
    other figures for a posted period reverse its entry and post the new one."""

    _name = "hc.hr.handler.payroll.journal"
    _inherit = "hc.integration.handler"
    _description = "HR: payroll journal (batch)"
    # amounts per payroll code and cost centre, nothing per employee (the schema refuses
    # any other property)
    _hc_allowlist = (
        "pay_period_id",
        "period_start",
        "period_end",
        "pay_date",
        "currency",
        "lines[].type",
        "lines[].code",
        "lines[].cost_center_code",
        "lines[].amount",
        "control_totals.earnings",
        "control_totals.deductions",
        "control_totals.employer_contributions",
        "control_totals.net_pay",
    )

    @api.model
    def _hc_ordering_key(self, flow, payload):
        period = payload.get("pay_period_id")
        return f"{PERIOD_TYPE}:{period}" if period else None

    @api.model
    def _hc_event_id(self, flow, payload):
        """Pulled runs without an id of their own are identified by their pay period: a
        later version of the period is queued as an update of the same event."""
        event_id = super()._hc_event_id(flow, payload)
        period = payload.get("pay_period_id")
        return event_id or (f"payroll-journal:{period}" if period else None)

    @api.model
    def _hc_check_payload(self, flow, payload):
        return control_problems(payload)

    def _hc_process(self, message):
        payload = message.payload or {}
        backend = message.backend_id
        problems = control_problems(payload)
        if problems:
            raise BusinessError(
                self.env._(
                    "The payroll journal does not balance (%(problems)s); nothing was posted. "
                    "Ask payroll to send the pay run again.",
                    problems="; ".join(f"{p['path']} {p['message']}" for p in problems),
                )
            )
        period = str(payload["pay_period_id"])
        bindings = self._hc_binding()
        binding = bindings._find_binding(backend, PERIOD_TYPE, period)
        if binding and binding._is_stale(message.occurred_at):
            raise StaleEventError(
                self.env._("A more recent version of pay period %s was already posted.", period)
            )
        current = binding.record if binding else self.env["hc.hr.payroll.journal"]
        content_hash = sha256_hex(canonical_json(self._hc_business_content(payload)))
        if current.content_hash == content_hash:
            self._hc_audit(message, current, "unchanged: the same figures were already posted")
            return [current, current.move_id]
        company = backend.company_id
        settings = company._hc_hr_payroll_settings()
        currency = self._hc_currency(company, payload.get("currency"))
        line_values = self._hc_move_lines(backend, settings, payload)
        values = self._hc_journal_values(message, payload, currency, content_hash)
        journals = self.env["hc.hr.payroll.journal"].sudo()
        reversal = self.env["account.move"]
        if current:
            reversal = current.sudo()._hc_reverse_current()
            current.sudo().write(dict(values, revision=current.revision + 1))
            journal = current.sudo()
        else:
            journal = journals.create(
                dict(values, backend_id=backend.id, company_id=company.id, pay_period_id=period)
            )
        move = journal._hc_post(settings["journal"], line_values)
        bindings._bind(backend, PERIOD_TYPE, period, journal, message.occurred_at)
        self._hc_audit(
            message,
            journal,
            f"revision {journal.revision} posted as entry #{move.id}"
            + (f", entry #{reversal.id} reverses the previous one" if reversal else ""),
        )
        return [journal, move, reversal]

    # ------------------------------------------------------------------------------------
    # Building the entry
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_business_content(self, payload):
        """What makes two versions of a pay run the same (amount formats normalised)."""
        return {
            "period": [payload.get("period_start"), payload.get("period_end")],
            "date": payload.get("pay_date") or payload.get("period_end"),
            "currency": payload.get("currency"),
            "lines": normalised_lines(payload.get("lines")),
        }

    @api.model
    def _hc_currency(self, company, code):
        if code and code != company.currency_id.name:
            raise BusinessError(
                self.env._(
                    "The pay run is in %(currency)s; payroll journals are posted in the "
                    "currency of %(company)s (%(company_currency)s). Ask payroll to send it "
                    "in that currency.",
                    currency=code,
                    company=company.name,
                    company_currency=company.currency_id.name,
                )
            )
        return company.currency_id

    @api.model
    def _hc_journal_values(self, message, payload, currency, content_hash):
        totals = line_totals(payload.get("lines"))
        period_end = fields.Date.to_date(payload.get("period_end"))
        return {
            "period_start": fields.Date.to_date(payload.get("period_start")),
            "period_end": period_end,
            "date": fields.Date.to_date(payload.get("pay_date")) or period_end,
            "currency_id": currency.id,
            "earnings_total": float(totals["earnings"]),
            "deductions_total": float(totals["deductions"]),
            "employer_total": float(totals["employer_contributions"]),
            "net_pay_total": float(totals["net_pay"]),
            "message_id": message.id,
            "occurred_at": message.occurred_at,
            "content_hash": content_hash,
        }

    @api.model
    def _hc_move_lines(self, backend, settings, payload):
        """Journal item values of the run, one debit per code and cost centre, one credit
        per liability code, and the net pay. Raises one error listing every code that is
        unknown (mapping), ignored or mapped to an account of the wrong kind."""
        lines = payload.get("lines") or []
        resolved = self._hc_map_pairs(
            backend,
            [("earning_code", line["code"]) for line in lines]
            + [("cost_center", line.get("cost_center_code")) for line in lines],
        )
        accounts = self._hc_line_accounts(backend, settings, lines, resolved)
        period = payload["pay_period_id"]
        debits, credits = defaultdict(Decimal), defaultdict(Decimal)
        for line in lines:
            value = amount(line["amount"])
            debit, credit = accounts[(line["type"], line["code"])]
            cost_center = resolved.get(("cost_center", line.get("cost_center_code")))
            if debit:
                debits[(debit, line["code"], cost_center.id if cost_center else False)] += value
            if credit:
                credits[(credit, line["code"])] += value
        net_pay = line_totals(lines)["net_pay"]
        values = [
            {
                "account_id": account.id,
                "name": f"{period} {code}",
                "balance": float(total),
                "analytic_distribution": {str(analytic): 100.0} if analytic else False,
            }
            for (account, code, analytic), total in sorted(debits.items(), key=_sort_key)
            if total
        ] + [
            {"account_id": account.id, "name": f"{period} {code}", "balance": -float(total)}
            for (account, code), total in sorted(credits.items(), key=_sort_key)
            if total
        ]
        if net_pay:
            values.append(
                {
                    "account_id": settings["net_pay"].id,
                    "name": self.env._("%s net pay", period),
                    "balance": -float(net_pay),
                }
            )
        if not values:
            raise BusinessError(
                self.env._("Pay period %s has no amount to post.", period), category="validation"
            )
        return values

    @api.model
    def _hc_line_accounts(self, backend, settings, lines, resolved):
        """``{(type, code): (debit account or None, credit account or None)}``."""
        accounts, problems = {}, []
        company = backend.company_id
        for line_type, code in sorted({(line["type"], line["code"]) for line in lines}):
            mapped = resolved.get(("earning_code", code))
            if not mapped:
                problems.append(self.env._("%s is mapped as ignored", code))
                continue
            mapping = self.env["hc.integration.mapping"]._lookup(backend, "earning_code", code)
            if line_type == "earning":
                pair = (mapped, None)
            elif line_type == "deduction":
                pair = (None, mapped)
            else:
                liability = mapping.hc_hr_payroll_liability_account_id or settings["contribution"]
                if not liability:
                    problems.append(
                        self.env._("%s (employer contribution) has no liability account", code)
                    )
                    continue
                pair = (mapped, liability)
            for account, groups in zip(pair, (DEBIT_GROUPS, CREDIT_GROUPS), strict=True):
                if account and (
                    account.internal_group not in groups or company not in account.company_ids
                ):
                    problems.append(
                        self.env._(
                            "%(code)s posts to %(account)s, not a %(kinds)s account of %(company)s",
                            code=code,
                            account=account.display_name,
                            kinds="/".join(groups),
                            company=company.name,
                        )
                    )
            accounts[(line_type, code)] = pair
        if problems:
            raise BusinessError(
                self.env._(
                    "Payroll codes cannot post: %(problems)s. Correct their mappings "
                    "(Integrations › Mappings, type Payroll code), then retry.",
                    problems="; ".join(problems),
                ),
                category="mapping",
            )
        return accounts

    @api.model
    def _hc_audit(self, message, journal, summary):
        self.env["hc.integration.audit"]._log(
            "hr.payroll.journal",
            f"payroll journal #{journal.id}: {summary}",
            message=message,
            record=journal,
            backend=message.backend_id,
        )


def _sort_key(item):
    """Stable order of the aggregated journal items: by account code, then payroll code."""
    key = item[0]
    return (key[0].code or "", *[str(part) for part in key[1:]])
