{
    "name": "Healthcare Integration: benchmark floor (test only)",
    "summary": "The floor of durable intake: a bare route that stores the body and commits.",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "license": "LGPL-3",
    "author": "Healthcare Integration Suite",
    "depends": ["base"],
    "data": [],
    "post_init_hook": "create_floor_table",
    "installable": True,
    "application": False,
}
