"""What ships beside the code stays true to it: licence, Slack manifest, Dockerfile, compose.

No container engine runs here, so the Dockerfile is read with the official parser (the
`dockerfile` package, Docker's buildkit parser) and compose.yaml is validated against the
compose-spec JSON schema vendored in tests/data/compose_spec.json (shipped by the
docker-compose 1.29.2 package as compose/config/compose_spec.json, Apache-2.0), then both are
checked to run the README's and the Procfile's commands.
"""

import ast
import json
import re
import tomllib
from pathlib import Path

import dockerfile
import jsonschema
import yaml

from integrations.slack.errors import SCOPES

ROOT = Path(__file__).resolve().parent.parent


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def readme_deploy_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("## Deploying with PostgreSQL", 1)[1].split("```sh", 1)[1]
    block = block.split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_licence_is_the_one_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_the_manifest_asks_only_for_scopes_the_code_uses() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    used_by_methods = set(SCOPES.values())
    # commands: /vigilo; channels:history: message.channels events; users:read(.email):
    # naming members on first contact (users.info, with the profile's e-mail);
    # reactions:read: reaction_added events (a 📌 puts a message on the timeline).
    assert scopes == used_by_methods | {"commands", "channels:history", "users:read",
                                        "users:read.email", "reactions:read"}
    # A channel Slack made whose answer was lost is found by listing channels.
    assert "channels:read" in scopes and "conversations_list" in (
        ROOT / "integrations" / "slack" / "channels.py").read_text()
    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    assert "chat_postMessage(channel=user_id" in source or "channel=self.user_id" in source
    home = manifest["features"]["app_home"]
    # The bot sends direct messages, so people must be able to read them (not write).
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"]
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_home_opened", "message.channels", "reaction_added"}
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", "add_to_timeline")


def test_the_dockerfile_installs_and_serves_as_the_readme_says() -> None:
    commands = dockerfile.parse_file(str(ROOT / "Dockerfile"))
    by_cmd: dict[str, list[tuple[str, ...]]] = {}
    for command in commands:
        by_cmd.setdefault(command.cmd, []).append(command.value)
    readme = readme_deploy_commands()
    install = next(line for line in readme if line.startswith("pip install"))
    assert (install,) in by_cmd["RUN"]
    assert by_cmd["CMD"] == [(procfile()["web"],)]  # shell form: $PORT at run time
    assert by_cmd["EXPOSE"] == [("8000",)]
    assert by_cmd["USER"] == [("vigilo",)]  # not root
    copied = {Path(value[0]).name for value in by_cmd["COPY"][1:]}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]
                ["include"]}
    assert copied == packages  # every package the wheel needs is in the build context
    first = by_cmd["COPY"][0]
    assert {"pyproject.toml", "constraints.txt", "README.md", "LICENSE"} <= set(first)
    healthcheck = next(c for c in commands if c.cmd == "HEALTHCHECK")
    assert "/healthz" in healthcheck.value[-1]
    ast.parse(healthcheck.value[-1])  # the probe is valid Python


def test_compose_is_valid_and_runs_the_release_step_before_web() -> None:
    schema = json.loads((ROOT / "tests" / "data" / "compose_spec.json").read_text())
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []
    services = compose["services"]
    assert services["release"]["command"] == procfile()["release"] == "vigilo db upgrade"
    assert "vigilo db upgrade" in readme_deploy_commands()
    web = services["web"]
    assert web["command"].replace("$$", "$") == f"sh -c '{procfile()['web']}'"
    assert web["depends_on"]["release"] == {"condition": "service_completed_successfully"}
    assert services["release"]["depends_on"]["db"] == {"condition": "service_healthy"}
    for name in ("release", "web"):
        url = services[name]["environment"]["DATABASE_URL"]
        assert re.match(r"^postgresql://\w+:\w+@db:5432/\w+$", url)
    assert services["db"]["image"].startswith("postgres:")
    # Every variable compose passes on is one the README documents.
    readme = (ROOT / "README.md").read_text()
    for variable in web["environment"]:
        assert f"`{variable}`" in readme, variable
