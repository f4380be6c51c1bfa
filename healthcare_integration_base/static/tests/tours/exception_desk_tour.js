import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

const APP = "healthcare_integration_base.menu_integrations_root";

/**
 * A resolver opens the exception desk, finds one row for the 50 exceptions of one
 * unmapped code, maps it once by accepting the suggested target, and the group is gone.
 */
registry.category("web_tour.tours").add("hc_exception_desk_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps(APP, "Open the Integrations app"),
        {
            content: "Open the exception desk",
            trigger:
                ".o_menu_sections [data-menu-xmlid='healthcare_integration_base.hc_integration_exception_group_menu']",
            run: "click",
        },
        {
            content: "One row stands for the 50 exceptions of the new code",
            trigger:
                ".o_data_row:contains('NEONATAL') .o_data_cell[name='exception_count']:contains('50')",
        },
        {
            content: "Map the code once",
            trigger: ".o_data_row:contains('NEONATAL') button[name='action_map_value']",
            run: "click",
        },
        {
            content: "Accept the suggested target",
            trigger:
                ".modal .o_data_row:contains('Neonatal Intensive Care') button[name='action_accept']",
            run: "click",
        },
        {
            content: "The group is resolved: the desk has nothing left to do",
            trigger:
                ".o_view_nocontent, .o_list_view:not(:has(.o_data_row:contains('NEONATAL')))",
        },
    ],
});
