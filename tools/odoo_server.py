"""Start Odoo from a script file, so that Odoo can re-execute itself.

Odoo reloads a server by re-running ``sys.executable sys.argv[0] <arguments>``: after a
``SIGHUP``, when a thread outlasts its time limit on a threaded server, or after
installing a module from the Apps menu. Started as ``python3 -m odoo``, ``sys.argv[0]``
is ``odoo/__main__.py``, which cannot run as a script (``ImportError: attempted relative
import with no known parent package``): the server stops instead of coming back. This
file can (``make demo`` uses it); ``odoo-bin`` of an Odoo source tree can too.

Usage: ``python3 tools/odoo_server.py <odoo arguments>``, exactly like ``odoo-bin``.
"""

from odoo.cli.command import main

if __name__ == "__main__":
    main()
