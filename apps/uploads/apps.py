from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "apps.uploads"
    verbose_name = "上传文件"

    def ready(self):
        # Receivers name the models, which can be imported only once the registry is ready.
        from apps.uploads import recording

        recording.connect()
