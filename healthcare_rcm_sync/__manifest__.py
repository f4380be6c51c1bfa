{
    "name": "Healthcare Revenue Cycle Sync",
    "summary": "Billing summaries, X12 835 remittances, payments and write-offs into accounting",
    "version": "18.0.1.0.0",
    "category": "Accounting",
    "author": "Healthcare Integration Suite contributors",
    "license": "LGPL-3",
    "depends": ["healthcare_integration_base", "account"],
    "data": [],
    "installable": True,
}
