from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "apps.intake"
    verbose_name = "素材库"

    def ready(self):
        # The pool's search documents (signal_handlers.py) and the stories (stories.py)
        # follow the clippings. Imported here: the receivers name the models, which are loaded
        # after this module.
        from apps.intake import signal_handlers, stories

        signal_handlers.connect()
        stories.connect()
