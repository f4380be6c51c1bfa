"""The revenue-cycle settings edit the company's fields: one helper declares them all, with
the domains each offered before (journals by type, receivables, reconcilable reserve…)."""

import os
import tempfile

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RcmCase

COMPANY_ACCOUNT = "[('company_ids', 'in', company_id)]"
RECEIVABLE = "[('account_type', '=', 'asset_receivable'), ('company_ids', 'in', company_id)]"
#: what each setting offered before it was declared through ``_company_setting``
DOMAINS = {
    "journal": "[('type', '=', 'general'), ('company_id', '=', company_id)]",
    "payment_journal": "[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
    "insurance_receivable_account": RECEIVABLE,
    "patient_receivable_account": RECEIVABLE,
    "collections_receivable_account": RECEIVABLE,
    "allowance_reserve_account": "[('reconcile', '=', True), ('company_ids', 'in', company_id)]",
    "inbound_flow": "[('handler_model', '=', 'hc.rcm.handler.remittance'), "
    "('company_id', '=', company_id)]",
    **{
        name: COMPANY_ACCOUNT
        for name in (
            "allowance_account",
            "denial_account",
            "interest_account",
            "recoupment_account",
            "forward_balance_account",
            "writeoff_bad_debt_account",
            "writeoff_charity_account",
            "writeoff_small_balance_account",
            "writeoff_administrative_account",
        )
    },
}
PLAIN = ("allowance_policy", "lock_date_policy", "collections_policy", "reassociation_days")


@tagged("post_install", "-at_install")
class TestRcmSettings(RcmCase):
    def test_every_setting_is_the_companys_field_editable_with_its_domain(self):
        settings = self.env["res.config.settings"]._fields
        company = self.env["res.company"]._fields
        names = {name for name in settings if name.startswith("hc_rcm_")}
        expected = {f"hc_rcm_{key}_id" for key in DOMAINS} | {
            f"hc_rcm_{key}" for key in (*PLAIN, "inbound_folder")
        }
        self.assertEqual(names, expected)
        for name in names:
            field = settings[name]
            self.assertEqual(field.related, f"company_id.{name}", name)
            self.assertFalse(field.readonly, name)
            self.assertEqual(field.type, company[name].type, name)
            key = name.removeprefix("hc_rcm_").removesuffix("_id")
            self.assertEqual(getattr(field, "domain", None) or None, DOMAINS.get(key), name)

    def test_settings_write_through_to_the_company(self):
        folder = tempfile.mkdtemp(prefix="hc_rcm_settings_")
        self.addCleanup(os.rmdir, folder)
        journal = self.company.hc_rcm_journal_id.copy({"code": "RCM2", "name": "RCM bis"})
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertEqual(settings.hc_rcm_journal_id, self.company.hc_rcm_journal_id)
        settings.write(
            {
                "hc_rcm_journal_id": journal.id,
                "hc_rcm_reassociation_days": 45,
                "hc_rcm_inbound_folder": folder,
            }
        )
        settings.execute()
        self.assertEqual(self.company.hc_rcm_journal_id, journal)
        self.assertEqual(self.company.hc_rcm_reassociation_days, 45)
        self.assertEqual(self.company.hc_rcm_inbound_folder, folder)

    def test_inbound_folder_must_exist(self):
        settings = self.env["res.config.settings"].with_company(self.company)
        for folder, reason in (("relative/dir", "absolute"), ("/nonexistent/hc835", "exist")):
            with self.assertRaises(UserError) as caught:
                settings.create({"hc_rcm_inbound_folder": folder}).execute()
            self.assertIn(reason, str(caught.exception))
        self.assertFalse(self.company.hc_rcm_inbound_folder, "nothing reached the company")
