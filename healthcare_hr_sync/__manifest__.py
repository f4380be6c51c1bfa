{
    "name": "Healthcare HR Sync",
    "summary": "HRIS events into employees, users and credentials; labour data out to payroll",
    "version": "18.0.1.0.0",
    "category": "Human Resources",
    "author": "Healthcare Integration Suite contributors",
    "license": "LGPL-3",
    "depends": ["healthcare_integration_base", "hr", "analytic"],
    "data": [],
    "installable": True,
}
