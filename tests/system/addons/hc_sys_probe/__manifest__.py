# Test only: installed by the system tests into their own databases, never shipped.
{
    "name": "Healthcare system-test probe",
    "summary": "A handler that journals every processing with the worker and server that ran it",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "Healthcare Integration Suite contributors",
    "license": "LGPL-3",
    "depends": ["healthcare_integration_base"],
    "data": ["security/ir.model.access.csv"],
    "installable": True,
}
