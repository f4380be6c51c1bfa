import math
from datetime import timedelta

import psycopg2

from odoo import api, fields, models

from ..tools.backoff import full_jitter_delay


# hc.integration.processor is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationProcessor(models.AbstractModel):
    """Outcomes: what a message becomes after its handler failed (retry with backoff, run
    again at once after a conflict, wait for a dependency, exception for a person).

    Each method moves the message out of ``processing`` (leases released) and audits it
    through ``hc.integration.message._hc_transition``.
    """

    _inherit = "hc.integration.processor"

    @api.model
    def _on_retryable(self, message, reason, delay):
        """A technical failure: retry after ``delay`` seconds (None: backoff with full
        jitter), or exception once the flow's attempts are used up."""
        flow = message.flow_id
        if message.attempts >= flow.max_attempts:
            self._on_business(
                message,
                self.env._(
                    "Gave up after %(attempts)s attempts. Last error: %(reason)s",
                    attempts=message.attempts,
                    reason=reason,
                ),
                "technical",
            )
            return
        if delay is None:
            # whole seconds (Datetime.now() has none) and at least one, so a zero draw of
            # the jitter does not retry within the same pass
            delay = max(
                1,
                math.ceil(full_jitter_delay(message.attempts, flow.backoff_base, flow.backoff_cap)),
            )
        next_at = fields.Datetime.now() + timedelta(seconds=int(delay))
        message._hc_transition(
            "retry",
            summary=f"attempt {message.attempts} failed, next at {next_at:%Y-%m-%d %H:%M:%S}: "
            f"{reason}",
            next_attempt_at=next_at,
            last_error=reason,
            error_class="technical",
            lease_expires_at=False,
            lease_owner=False,
        )

    @api.model
    def _on_conflict(self, message, reason):
        """Another worker committed a change to a row this message changes too (typically
        a counter stored on a shared record: two employees hired into one job both update
        the job's number of employees). As Odoo's HTTP layer does for requests, the message
        runs again at once in a fresh transaction, and the attempt is given back: a
        conflict says nothing about the message. After ``hc_integration.conflict_retries``
        (default 10) conflicts, counted by the message's ``conflict_count`` (reset with its
        attempts when it is requeued), further ones count as ordinary failures (backoff,
        then exception), so nothing can loop for ever."""
        if message.conflict_count >= self._get_param("conflict_retries", 10):
            self._on_retryable(message, reason, None)
            return
        message._hc_transition(
            "retry",
            summary=f"conflict, run again at once: {reason}",
            attempts=max(0, message.attempts - 1),
            conflict_count=message.conflict_count + 1,
            next_attempt_at=fields.Datetime.now(),
            last_error=reason,
            error_class="technical",
            lease_expires_at=False,
            lease_owner=False,
        )

    @api.model
    def _on_dependency(self, message, error):
        flow = message.flow_id
        wait_until = fields.Datetime.now() + timedelta(minutes=flow.dependency_timeout_minutes)
        message._hc_transition(
            "waiting",
            summary=error.message,
            wait_key=error.key,
            wait_until=wait_until,
            last_error=error.message,
            error_class="dependency",
            lease_expires_at=False,
            lease_owner=False,
        )

    @api.model
    def _on_mapping(self, message, error):
        try:
            with self.env.cr.savepoint():
                mappings = self.env["hc.integration.mapping"]._ensure_pending(
                    message.backend_id, error.missing
                )
        except psycopg2.IntegrityError:
            # another worker is creating the same pending mapping right now
            self._on_retryable(message, "pending mapping created concurrently", 5)
            return
        first = mappings.filtered(lambda m: m.state == "pending")[:1] or mappings[:1]
        types = dict(mappings._fields["mapping_type"]._description_selection(self.env))
        lines = "\n".join(
            f"• {types.get(m.mapping_type, m.mapping_type)} '{m.external_code}'" for m in mappings
        )
        description = self.env._(
            "The %(backend)s sent codes that are not mapped to Odoo yet:\n%(lines)s\n"
            "Open Map value, choose what each code stands for in Odoo and save: the message "
            "is processed again automatically.",
            backend=message.backend_id.name,
            lines=lines,
        )
        self._on_business(
            message,
            description,
            "mapping",
            mapping=first,
            wait_key=f"mapping:{first.id}",
            title=self.env._("Missing mapping: %s", ", ".join(m.display_name for m in mappings)),
        )

    @api.model
    def _on_business(
        self,
        message,
        description,
        category,
        detail=None,
        record=None,
        mapping=None,
        wait_key=None,
        title=None,
    ):
        """Move the message to ``exception`` and open (or refresh) its exception."""
        title = title or (description.splitlines()[0] if description else category)
        message._hc_transition(
            "exception",
            summary=f"{category}: {title[:150]}",
            last_error=description,
            error_class=category
            if category in dict(message._fields["error_class"].selection)
            else "technical",
            wait_key=wait_key or False,
            lease_expires_at=False,
            lease_owner=False,
            finished_at=fields.Datetime.now(),
        )
        self.env["hc.integration.exception"]._hc_open_for(
            message,
            category,
            description,
            detail=detail,
            record=record,
            mapping=mapping,
            title=title,
        )
