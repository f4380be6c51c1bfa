from rapidfuzz import fuzz, process, utils

from odoo import fields, models
from odoo.exceptions import UserError

#: candidates read per target model: a bounded scan (names only), not the whole table
CANDIDATE_LIMIT = 5000
#: fields of a target record compared with the external code (besides its name)
CODE_FIELDS = ("code", "ref", "barcode", "default_code")
SUGGESTION_COUNT = 5
MIN_SCORE = 50


class HcIntegrationMappingSuggestion(models.Model):
    """A likely target for a pending mapping, never applied by itself: a person accepts it.

    Ranked by string similarity (rapidfuzz) of the code and label to the target records'
    names and codes, and by how other backends mapped the same code.
    """

    _name = "hc.integration.mapping.suggestion"
    _description = "Integration Mapping Suggestion"
    _order = "score desc, id"

    mapping_id = fields.Many2one(
        "hc.integration.mapping", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="mapping_id.company_id", store=True)
    target_ref = fields.Reference(
        selection=lambda self: self.env["hc.integration.mapping"]._selection_target_models(),
        string="Suggested target",
        required=True,
        readonly=True,
    )
    target_name = fields.Char(readonly=True)
    score = fields.Float(
        readonly=True,
        help="0–100: likeness of names and codes counts up to 90; the same code mapped to "
        "this record for another backend gives 100.",
    )
    reason = fields.Char(readonly=True)

    def action_accept(self):
        """Map the code to this target as the current user's decision (audited); mapping
        re-queues every message that waited for the code."""
        self.ensure_one()
        mapping = self.mapping_id
        mapping.check_access("write")
        if mapping.state != "pending":
            raise UserError(self.env._("%s is already resolved.", mapping.display_name))
        target = self.target_ref
        if not target.exists():
            raise UserError(self.env._("The suggested record no longer exists."))
        self.env["hc.integration.audit"]._log(
            "mapping.suggestion_accepted",
            f"{mapping.display_name} mapped to {target._name},{target.id} "
            f"(suggestion score {self.score:.0f}) by user #{self.env.user.id}",
            record=mapping,
            backend=mapping.backend_id,
            actor_type="user",
        )
        mapping.write({"target_ref": f"{target._name},{target.id}"})
        return {"type": "ir.actions.act_window_close"}


# hc.integration.mapping is split by concern, one file each: not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationMapping(models.Model):
    _inherit = "hc.integration.mapping"

    suggestion_ids = fields.One2many(
        "hc.integration.mapping.suggestion", "mapping_id", string="Suggestions"
    )

    def action_refresh_suggestions(self):
        self._hc_refresh_suggestions()

    def _hc_refresh_suggestions(self):
        """Replace the suggestions of pending rows (none is ever applied automatically)."""
        suggestions = self.env["hc.integration.mapping.suggestion"].sudo()
        for mapping in self.filtered(lambda m: m.state == "pending"):
            mapping.suggestion_ids.sudo().unlink()
            ranked = mapping._hc_rank_targets()
            suggestions.create(
                [
                    {
                        "mapping_id": mapping.id,
                        "target_ref": f"{record._name},{record.id}",
                        "target_name": record.display_name,
                        "score": score,
                        "reason": reason,
                    }
                    for record, score, reason in ranked
                ]
            )

    def _hc_rank_targets(self):
        """``[(record, score, reason)]``, best first."""
        self.ensure_one()
        model = self._mapping_target_models().get(self.mapping_type)
        if not model or model not in self.env:
            return []
        scores = {}
        for record, score, reason in self._hc_similar_targets(model):
            scores[record] = (score, reason)
        for record, backend in self._hc_mapped_elsewhere():
            # a person's decision for the same code outranks any likeness of names
            scores[record] = (
                100.0,
                self.env._(
                    "%(code)s is mapped to it for %(backend)s",
                    code=self.external_code,
                    backend=backend.name or self.env._("all backends"),
                ),
            )
        ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[0].id))
        return [(record, score, reason) for record, (score, reason) in ranked[:SUGGESTION_COUNT]]

    def _hc_similar_targets(self, model):
        """Names and codes of the target records that look like the code or the label."""
        Target = self.env[model]
        code_fields = [name for name in CODE_FIELDS if name in Target._fields]
        rows = Target.search_read([], ["display_name", *code_fields], limit=CANDIDATE_LIMIT)
        choices = {}
        for row in rows:
            texts = [row["display_name"]] + [row[name] for name in code_fields]
            for index, text in enumerate(texts):
                if text:
                    choices[(row["id"], index)] = str(text)
        best = {}
        for query in filter(None, (self.external_code, self.label)):
            matches = process.extract(
                query,
                choices,
                scorer=fuzz.WRatio,
                processor=utils.default_process,
                limit=SUGGESTION_COUNT * 4,
                score_cutoff=MIN_SCORE,
            )
            for text, score, (record_id, _index) in matches:
                if score > best.get(record_id, (0, ""))[0]:
                    best[record_id] = (score, text)
        return [
            (Target.browse(record_id), round(score * 0.9, 1), self.env._("looks like '%s'", text))
            for record_id, (score, text) in best.items()
        ]

    def _hc_mapped_elsewhere(self):
        """Targets the same type and code are mapped to for other backends."""
        others = self.sudo().search(
            [
                ("id", "!=", self.id),
                ("mapping_type", "=", self.mapping_type),
                ("external_code", "=ilike", self.external_code),
                ("state", "=", "mapped"),
                ("target_ref", "!=", False),
            ]
        )
        return [(other.target_ref, other.backend_id) for other in others]


# the exception's Map value opens the mapping with fresh suggestions
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationException(models.Model):
    _inherit = "hc.integration.exception"

    def action_map_value(self):
        action = super().action_map_value()
        mapping = self.mapping_id
        if mapping.state == "pending" and not mapping.suggestion_ids:
            mapping._hc_refresh_suggestions()
        return action
