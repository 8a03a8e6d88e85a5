import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_settings(code, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DJANGO_DEBUG", "SECRET_KEY")}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; {code}",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_settings("print(settings.DEBUG)", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_per_process_cache():
    result = run_settings("print(settings.DEBUG)", DJANGO_DEBUG="0", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "CACHE_URL must be set" in result.stderr


def test_production_settings_with_postgres_url():
    result = run_settings(
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.ALLOWED_HOSTS,"
        " settings.SESSION_COOKIE_SECURE)",
        DJANGO_DEBUG="0",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="bulletin.example.com",
        DATABASE_URL="postgres://bulletin:pw@db:5432/bulletin",
        CACHE_URL="redis://redis:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "['bulletin.example.com']",
        "True",
    ]


def test_local_defaults():
    result = run_settings(
        "print(settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.USE_TZ,"
        " settings.PUBLICATION_NAME, settings.PUBLICATION_PUBLISHER,"
        " settings.DATABASES['default']['ENGINE'])",
        DJANGO_DEBUG="1",
        DATABASE_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "zh-hans",
        "Asia/Shanghai",
        "True",
        "许昌竞争情报快递",
        "许昌市科学技术情报研究所",
        "django.db.backends.sqlite3",
    ]


def test_deploy_check_is_clean_with_production_settings():
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "k" * 30 + "Z9!x" * 10,
        "ALLOWED_HOSTS": "bulletin.example.com",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
