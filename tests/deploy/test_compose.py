"""The compose stack as written: parseable, complete, and silent under check --deploy."""

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT

SERVICES = {"db", "redis", "web", "worker", "nginx"}


def example_env():
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    values["SECRET_KEY"] = "compose-test-" + "k" * 50
    return values


@pytest.fixture
def compose_folder(tmp_path):
    """The compose file with an .env made from .env.example, as the README says to start."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    env = example_env()
    (tmp_path / ".env").write_text("\n".join(f"{k}={v}" for k, v in env.items()))
    return tmp_path


def compose_client():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return ["docker", "compose"]


def test_the_client_parses_the_compose_file(compose_folder):
    result = subprocess.run(  # noqa: S603 - the compose client on our own file
        [*compose_client(), "config"], cwd=compose_folder, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    stack = yaml.safe_load(result.stdout)
    assert set(stack["services"]) == SERVICES
    for name, service in stack["services"].items():
        assert "healthcheck" in service, name
    # Clients print volumes as "source:target" strings or as mappings: compare as text.
    assert "pgdata" in str(stack["services"]["db"]["volumes"])
    assert "pgdata" in stack["volumes"]
    assert "worker" in " ".join(stack["services"]["worker"]["command"])
    assert "default.conf.template" in str(stack["services"]["nginx"]["volumes"])


def web_environment(compose_folder):
    result = subprocess.run(  # noqa: S603
        [*compose_client(), "config"], cwd=compose_folder, capture_output=True, text=True
    )
    return {
        k: str(v)
        for k, v in yaml.safe_load(result.stdout)["services"]["web"]["environment"].items()
    }


def test_check_deploy_is_silent_with_the_compose_defaults(compose_folder):
    environment = {**os.environ, **web_environment(compose_folder)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_env_example_names_every_setting():
    source = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    listed = set(re.findall(r"^#? ?([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - listed == set()
