import {registry} from "@web/core/registry";

const DEFINITION = JSON.stringify({
    target_model: "res.partner",
    match: {external_id: "vendor.id", object: "vendor"},
    fields: {
        name: {path: "vendor.name", required: true, transform: "trim"},
        ref: {path: "vendor.code", transform: "upper"},
    },
});
const PAYLOAD = JSON.stringify({
    event_type: "vendor.upsert",
    schema_version: "1.0",
    occurred_at: "2026-01-05T10:00:00Z",
    vendor: {id: "TV-1", name: "  Tour Vendor ", code: "tv-9"},
});

/**
 * An Integration Manager builds a small declarative flow in the flow form, saves it and
 * previews a sample payload: the values it would write are shown, nothing is saved.
 */
registry.category("web_tour.tours").add("hc_declarative_flow_tour", {
    url: "/odoo/action-healthcare_integration_base.hc_integration_flow_action/new",
    steps: () => [
        {
            content: "Name the flow",
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Tour vendors",
        },
        {
            content: "Its backend",
            trigger: ".o_field_widget[name='backend_id'] input",
            run: "edit Tour backend",
        },
        {
            content: "Pick the backend",
            trigger: ".o-autocomplete--dropdown-item:contains('Tour backend')",
            run: "click",
        },
        {
            content: "Its code",
            trigger: ".o_field_widget[name='code'] input",
            run: "edit tour_vendors",
        },
        {
            content: "A declarative handler",
            trigger: ".o_field_widget[name='handler_model'] select",
            run: "selectByLabel Declarative",
        },
        {
            content: "The event type",
            trigger: ".o_field_widget[name='event_type'] input",
            run: "edit vendor.upsert",
        },
        {
            content: "Open the declarative mapping",
            trigger: ".o_notebook .nav-link:contains('Declarative mapping')",
            run: "click",
        },
        {
            content: "Write the definition",
            trigger: ".o_field_widget[name='declarative_definition'] textarea",
            run: `edit ${DEFINITION}`,
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The definition is version 1",
            trigger: ".o_field_widget[name='declarative_version']:contains('1')",
        },
        {
            content: "Preview a payload",
            trigger: "button[name='action_hc_preview']",
            run: "click",
        },
        {
            content: "Paste a sample event",
            trigger: ".modal .o_field_widget[name='payload'] textarea",
            run: `edit ${PAYLOAD}`,
        },
        {
            content: "Run the dry run",
            trigger: ".modal button[name='action_run']",
            run: "click",
        },
        {
            content: "The values it would write are shown",
            trigger:
                ".modal .o_field_widget[name='result']:contains('Tour Vendor'):contains('TV-9')",
        },
        {
            content: "Nothing was saved",
            trigger: ".modal .alert-success:contains('nothing was saved')",
        },
        {
            content: "Close",
            trigger: ".modal button:contains('Close')",
            run: "click",
        },
    ],
});
