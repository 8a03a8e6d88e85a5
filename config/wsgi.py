import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Imported once the settings module is named: it reads settings.
from config.bad_input import readable_content_type

# Some Content-Type headers make Django fail while it builds the request, before any
# middleware runs: the wrapper answers them with the Chinese 400 page (config/bad_input.py).
application = readable_content_type(get_wsgi_application())
