"""``mkt slack``: the Slack bot over Socket Mode (``run``) or the HTTP Events API (``serve``).

Tokens come from the environment only (never options, so they stay out of ``ps`` and shell
history) and are masked in every log line. ``slack_bolt`` is imported inside the commands so
``mkt --help`` stays fast.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Annotated

import typer

from data.errors import ConfigError

if TYPE_CHECKING:
    from agent.slack.app import SlackBot

app = typer.Typer(
    help="Run the Slack bot: the same assistant and tools as `mkt chat`, answered in Slack threads.",
    no_args_is_help=True,
)

LogLevel = Annotated[
    str, typer.Option("--log-level", help="Logging level: DEBUG, INFO, WARNING or ERROR.", show_default=True)
]
Workers = Annotated[
    int | None, typer.Option(help="Agent turns run at once (default: MKT_SLACK_WORKERS, 4).", min=1, max=64)
]


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"set {name} in the environment (see README, section 'Slack')")
    return value


def _setup_logging(level: str, secrets: list[str]) -> None:
    from agent.slack.guard import install_secret_filter

    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ConfigError(f"--log-level: unknown level {level!r}")
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_secret_filter(secrets)


def _bot(bot_token: str, signing_secret: str | None, workers: int | None) -> SlackBot:
    from agent.assistant import Assistant
    from agent.slack.app import build_slack_app
    from data.settings import load_settings
    from data.workspace import Workspace

    settings = load_settings()
    assistant = Assistant(settings, Workspace(settings.home).ensure())
    try:
        return build_slack_app(assistant, bot_token=bot_token, signing_secret=signing_secret, workers=workers)
    except Exception as exc:  # slack_bolt raises BoltError when auth.test fails
        from agent.slack.guard import redact

        raise ConfigError(f"could not start the Slack app: {redact(str(exc), [bot_token])}") from None


@app.command("run")
def run(log_level: LogLevel = "INFO", workers: Workers = None) -> None:
    """Connect over Socket Mode (no public URL needed): needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN."""
    app_token, bot_token = _env("SLACK_APP_TOKEN"), _env("SLACK_BOT_TOKEN")
    _setup_logging(log_level, [app_token, bot_token])
    bot = _bot(bot_token, None, workers)
    handler = bot.socket_mode(app_token)
    try:
        handler.start()  # type: ignore[no-untyped-call]  # slack_bolt leaves it untyped
    finally:
        bot.close()


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 3000,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "0.0.0.0",
    path: Annotated[
        str, typer.Option(help="Request URL path configured in the Slack app.")
    ] = "/slack/events",
    log_level: LogLevel = "INFO",
    workers: Workers = None,
) -> None:
    """Serve the HTTP Events API (put it behind HTTPS): needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET."""
    bot_token, signing_secret = _env("SLACK_BOT_TOKEN"), _env("SLACK_SIGNING_SECRET")
    _setup_logging(log_level, [bot_token, signing_secret])
    from agent.slack.server import SlackHTTPServer

    bot = _bot(bot_token, signing_secret, workers)
    server = SlackHTTPServer(bot.app, host=host, port=port, path=path)
    typer.echo(f"mkt Slack bot listening on {server.url}", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        bot.close()
