"""Journal entries of the revenue-cycle postings, built from Decimal amounts.

No Odoo imports: the company, currency and journal records are passed in, and the entry is
created through their environment.
"""


class EntryBuilder:
    """Journal item values of one entry, amounts in the document currency (Decimal),
    converted to the company currency with the rounding residual on the largest line so
    that the entry stays balanced."""

    def __init__(self, company, currency, date):
        self.company = company
        self.currency = currency
        self.date = date
        self.lines = []
        self.raw = []

    def add(self, account_id, amount, label, partner_id=False, **links):
        if not amount:
            return
        self.lines.append(
            dict(
                links,
                account_id=account_id,
                partner_id=partner_id or False,
                name=label,
                amount=amount,
            )
        )

    def add_reversal_of(self, move_line, **links):
        """The exact opposite of a posted journal item (no new currency conversion)."""
        self.raw.append(
            dict(
                links,
                account_id=move_line.account_id.id,
                partner_id=move_line.partner_id.id,
                name=self.company.env._("Reversal: %s", move_line.name or ""),
                balance=-move_line.balance,
                amount_currency=-move_line.amount_currency,
                currency_id=move_line.currency_id.id,
                analytic_distribution=move_line.analytic_distribution,
            )
        )

    def __bool__(self):
        return bool(self.lines or self.raw)

    def commands(self):
        """``Command.create`` tuples of the journal items."""
        company_currency = self.company.currency_id
        values = []
        if self.currency == company_currency:
            for line in self.lines:
                amount = line.pop("amount")
                values.append(dict(line, balance=float(amount)))
        else:
            values = self._converted_lines(company_currency)
        values.extend(self.raw)
        return [(0, 0, vals) for vals in values]

    def _converted_lines(self, company_currency):
        values, total = [], 0.0
        for line in self.lines:
            amount = float(line.pop("amount"))
            balance = self.currency._convert(amount, company_currency, self.company, self.date)
            values.append(
                dict(line, balance=balance, amount_currency=amount, currency_id=self.currency.id)
            )
            total += balance
        residual = company_currency.round(-total)
        if values and not company_currency.is_zero(residual):
            largest = max(values, key=lambda vals: abs(vals["balance"]))
            largest["balance"] = company_currency.round(largest["balance"] + residual)
        return values

    def post(self, env, journal, ref, **move_values):
        """Create (in ``env``) and post the entry on ``journal``; ``move_values`` link it
        to its source. An empty ``account.move`` when there is nothing to post."""
        Move = env["account.move"]
        if not self:
            return Move
        move = Move.create(
            dict(
                move_values,
                move_type="entry",
                journal_id=journal.id,
                date=self.date,
                ref=ref,
                currency_id=self.currency.id,
                line_ids=self.commands(),
            )
        )
        move.action_post()
        return move
