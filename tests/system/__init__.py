"""System tests: real Odoo server processes and real signed HTTP traffic."""
