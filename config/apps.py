from django.contrib.admin.apps import AdminConfig


class BulletinAdminConfig(AdminConfig):
    default_site = "config.admin_site.BulletinAdminSite"
