"""Actions the suite returns: window actions filtered for one record (smart buttons,
dashboard links) and notifications."""

MODULE = "healthcare_integration_base"


def filtered_action(env, xmlid, domain, context=None):
    """The window action ``xmlid`` (of this addon unless dotted) showing ``domain`` only,
    without the action's default filters (unless ``context`` gives some)."""
    if "." not in xmlid:
        xmlid = f"{MODULE}.{xmlid}"
    action = env["ir.actions.act_window"]._for_xml_id(xmlid)
    action["domain"] = domain
    action["context"] = context or {}
    return action


def reload_notice(message):
    """A notification saying ``message``, then a soft reload of the view (for work handed
    to a cron, whose result shows a few seconds later)."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "type": "info",
            "message": message,
            "next": {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }
