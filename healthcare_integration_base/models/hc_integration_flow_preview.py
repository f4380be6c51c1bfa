import json

from odoo import models

from ..exceptions import DependencyError, IntegrationError


# pylint: disable=consider-merging-classes-inherited
class _DryRunRollback(Exception):
    """Raised inside the preview's savepoint so that nothing it wrote survives."""


class HcIntegrationFlow(models.Model):
    """Dry run of a declarative flow: what a sample payload would write, or the errors
    it would raise; the savepoint is always rolled back."""

    _inherit = "hc.integration.flow"

    def _hc_preview(self, payload):
        """``{"errors": [...], "values": {...}, "record": "...", "post_actions": [...]}``;
        post-actions are listed, not run (they may notify people or other systems)."""
        self.ensure_one()
        self.check_access("write")
        definition = self._hc_definition()
        result = {"errors": [], "values": {}, "record": None,
                  "post_actions": definition.get("post_actions") or []}  # fmt: skip
        result["errors"] = [
            f"{error['path']}: {error['message']}" for error in self._validate_payload(payload)
        ]
        if result["errors"]:
            return result
        # as the queue processor applies it (the engine's user), after the write check
        # above: a manager may configure this flow, so may see what it would do
        handler = self.env["hc.integration.handler.declarative"].sudo()
        try:
            with self.env.cr.savepoint():
                record = handler._hc_apply(self.sudo().backend_id, definition, payload)
                record.flush_recordset()
                result["record"] = (
                    "updated" if record.create_date != record.write_date else "created"
                )
                result["values"] = self._hc_preview_values(record, definition["fields"])
                for part in definition.get("also") or []:
                    other = handler._hc_apply(self.sudo().backend_id, part, payload)
                    other.flush_recordset()
                    values = self._hc_preview_values(other, part["fields"])
                    result.setdefault("also", []).append({"model": other._name, "values": values})
                raise _DryRunRollback
        except _DryRunRollback:
            result["rolled_back"] = True
        except DependencyError as error:
            result["errors"].append(f"would wait: {error.message}")
        except IntegrationError as error:
            result["errors"].append(error.message)
        except Exception as error:  # noqa: BLE001 - a dry run reports, it does not crash
            result["errors"].append(f"{type(error).__name__}: {error}")
        finally:
            self.env.invalidate_all()
        return result

    def _hc_preview_values(self, record, fields_map):
        values = {}
        for name, spec in fields_map.items():
            value = record[name]
            if "fields" in spec:
                values[name] = [self._hc_preview_values(line, spec["fields"]) for line in value]
            elif hasattr(value, "_name"):
                values[name] = value.display_name or False
            else:
                values[name] = value if not hasattr(value, "isoformat") else value.isoformat()
        return values

    def action_hc_preview(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "hc.integration.flow.preview",
            "view_mode": "form",
            "target": "new",
            "context": {"default_flow_id": self.id},
        }

    def action_hc_export_definition(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "hc.integration.flow.definition",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_backend_id": self.backend_id.id,
                "default_definition": json.dumps(
                    self.hc_export_definition(), indent=2, sort_keys=True
                ),
            },
        }
