import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

const APP = "healthcare_integration_base.menu_integrations_root";

/**
 * The main resolution path of an HR or finance user: an exception for a code that has
 * no mapping is opened from the Exceptions menu, the value is mapped, and the exception
 * is resolved (its message goes back to the queue).
 */
registry.category("web_tour.tours").add("hc_exception_mapping_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps(APP, "Open the Integrations app"),
        {
            content: "Open the Exceptions menu",
            trigger:
                ".o_menu_sections [data-menu-xmlid='healthcare_integration_base.hc_integration_exception_menu']",
            run: "click",
        },
        {
            content: "Open the exception about the unmapped code",
            trigger:
                ".o_data_row:contains('Missing mapping'):contains('ORTHO') .o_data_cell[name='name']",
            run: "click",
        },
        {
            content: "The exception explains what to do",
            trigger: ".o_form_view .alert-info:contains('Map value')",
        },
        {
            content: "Map the value",
            trigger: "button[name='action_map_value']",
            run: "click",
        },
        {
            content: "Choose what the code stands for",
            trigger: ".modal .o_field_widget[name='target_ref'] input",
            run: "edit Orthopaedics",
        },
        {
            content: "Pick the tag",
            trigger: ".o-autocomplete--dropdown-item:contains('Orthopaedics')",
            run: "click",
        },
        {
            content: "Save the mapping",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The exception is resolved",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Resolved')",
        },
        {
            content: "Open its message",
            trigger: "button[name='action_view_message']",
            run: "click",
        },
        {
            content: "The message is back in the queue",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Pending')",
        },
    ],
});

/** After the queue ran: the user finds the message done from the Messages menu. */
registry.category("web_tour.tours").add("hc_message_done_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps(APP, "Open the Integrations app"),
        {
            content: "Open the Messages menu",
            trigger:
                ".o_menu_sections [data-menu-xmlid='healthcare_integration_base.hc_integration_message_menu']",
            run: "click",
        },
        {
            content: "Open the message",
            trigger:
                ".o_data_row:contains('evt-tour-ortho') .o_data_cell[name='external_id']",
            run: "click",
        },
        {
            content: "It ended done",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Done')",
        },
    ],
});
