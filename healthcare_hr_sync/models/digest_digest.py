from odoo import models
from odoo.fields import Command
from odoo.tools import SQL

#: Context sentinel of the user provisioning (an object cannot come over RPC).
ADD_RECIPIENTS_QUIETLY = object()


class DigestDigest(models.Model):
    """New recipients added without touching the digest's row, for the HR sync only.

    Why: ``digest`` subscribes every new internal user to the default digest
    (``res.users.create`` → ``digest.user_ids |= users``), and the ORM's write also updates
    the digest's ``write_date``/``write_uid``: one UPDATE of one singleton row per user.
    Two lanes provisioning users at the same time then fail with "could not serialize
    access" on ``digest_digest`` and redo whole hires. Adding the relation rows alone
    (``INSERT … ON CONFLICT DO NOTHING``) is what the subscription means; the digest's
    last-modified stamp is not worth a conflict. Any other write goes through the ORM.
    """

    _inherit = "digest.digest"

    def write(self, vals):
        if self.env.context.get("hc_hr_add_recipients") is ADD_RECIPIENTS_QUIETLY and set(vals) == {
            "user_ids"
        }:
            added = self._hc_hr_added_recipients(vals["user_ids"])
            if added is not None:
                self._hc_hr_insert_recipients(added)
                return True
        return super().write(vals)

    def _hc_hr_added_recipients(self, commands):
        """The user ids ``commands`` add to every digest of ``self``, or None when they do
        anything else (removals, creations): then the ORM writes as usual."""
        added = set()
        for command in commands:
            if command[0] == Command.LINK:
                added.add(command[1])
            elif command[0] == Command.SET:
                wanted = set(command[2])
                if any(not wanted.issuperset(digest.user_ids.ids) for digest in self):
                    return None
                added |= wanted
            else:
                return None
        return added

    def _hc_hr_insert_recipients(self, user_ids):
        field = self._fields["user_ids"]
        pairs = [(digest.id, user_id) for digest in self for user_id in sorted(user_ids)]
        if pairs:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (%s, %s) VALUES %s ON CONFLICT DO NOTHING",
                    SQL.identifier(field.relation),
                    SQL.identifier(field.column1),
                    SQL.identifier(field.column2),
                    SQL(", ").join(SQL("(%s, %s)", *pair) for pair in pairs),
                )
            )
        self.invalidate_recordset(["user_ids"])
