"""Keystone's public WSGI application, for gunicorn (scripts/keystone-up).

keystone.server.wsgi hands oslo.config no argument list, so oslo.config
parses sys.argv -- gunicorn's own command line -- and fails on it. Empty it
before Keystone loads. The config comes from OS_KEYSTONE_CONFIG_DIR.
"""
import sys

sys.argv = sys.argv[:1]

from keystone.server.wsgi import initialize_public_application  # noqa: E402

application = initialize_public_application()
