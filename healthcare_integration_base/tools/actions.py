"""Window actions of the suite, filtered for one record (smart buttons, dashboard links)."""

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
