{
    "name": "Healthcare Integration Base",
    "summary": "Governed integration queue: signed webhooks, pulls, retries, mappings, "
    "exceptions and an append-only audit log",
    "version": "18.0.1.0.0",
    "category": "Integrations",
    "website": "https://github.com/healthcare-integration-suite/odoo-addons",
    "author": "Healthcare Integration Suite contributors",
    "license": "LGPL-3",
    "application": True,
    "depends": ["base", "mail"],
    "external_dependencies": {"python": ["cryptography", "jsonschema", "requests"]},
    "data": [
        "security/healthcare_integration_base_security.xml",
        "security/ir.model.access.csv",
        "views/hc_integration_message_views.xml",
        "views/hc_integration_exception_views.xml",
        "views/hc_integration_mapping_views.xml",
        "views/hc_integration_audit_views.xml",
        "views/hc_integration_binding_views.xml",
        "views/hc_integration_backend_views.xml",
        "views/hc_integration_flow_views.xml",
        "views/res_config_settings_views.xml",
        "views/healthcare_integration_base_menus.xml",
        "views/hc_integration_flow_declarative_views.xml",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
    ],
    "demo": ["demo/hc_integration_backend_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "healthcare_integration_base/static/src/**/*",
        ],
        "web.assets_tests": [
            "healthcare_integration_base/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
