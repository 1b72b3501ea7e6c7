"""``mkt chat`` (a conversation in the terminal) and ``mkt ask`` (one question, one answer).

Both wrap ``Assistant.respond``: the session (memory and trace) lives under the workspace's
``runs/sessions/<id>/``; side effects are approved at a prompt, by ``--yes``, or refused when
nobody can be asked. ``mkt ask --json`` writes one JSON object per event on stdout and then the
reply (``{"event": "reply", ...}``); everything else goes to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.cli._params import ControlOpt
from agent.cli.output import console, err_console
from data.errors import MktError
from data.settings import Settings, load_settings
from data.workspace import Workspace

if TYPE_CHECKING:
    from agent.assistant import Assistant
    from agent.events import StepEvent
    from agent.session import Session

HELP = {
    "/help": "this list",
    "/reset": "forget the conversation (the session's files stay)",
    "/save": "save the session now (it is also saved after every turn)",
    "/history": "show the conversation so far",
    "/sessions": "list saved sessions (resume one with `mkt chat --resume ID`)",
    "/exit": "save and leave (also /quit, Ctrl-D or Ctrl-C)",
}
PROMPT = "you> "
HISTORY_TURNS = 3


def make_assistant(settings: Settings, workspace: Workspace) -> Assistant:
    """The assistant the commands talk to (tests replace this to inject a scripted model)."""
    from agent.assistant import Assistant

    return Assistant(settings, workspace)


def stdin_is_interactive() -> bool:
    """Whether a person can answer prompts on stdin."""
    return sys.stdin.isatty()


def _backend_label(settings: Settings) -> str:
    if settings.llm_base_url:
        from agent.llm.calllog import redact_url

        return f"{settings.llm_model} at {redact_url(settings.llm_base_url)} (local fallback)"
    return "local model"


def _open_session(workspace: Workspace, session_id: str | None, *, resume: bool) -> Session:
    from agent.session import Session, list_sessions

    if resume and session_id == "last":
        saved = list_sessions(workspace.runs_dir)
        if not saved:
            from data.errors import ConfigError

            raise ConfigError(f"no saved sessions under {workspace.runs_dir / 'sessions'}")
        session_id = saved[-1]
    session = Session.open(workspace.runs_dir, session_id, resume=resume)
    if session.notice:
        err_console.print(f"[yellow]{session.notice}[/]", highlight=False)
    return session


def _show_history(out: Console, session: Session, turns: int | None = None) -> None:
    messages = session.messages if turns is None else session.messages[-2 * turns :]
    if not messages:
        out.print("[dim](no conversation yet)[/]")
        return
    if turns is not None and len(session.messages) > len(messages):
        out.print(f"[dim]… {(len(session.messages) - len(messages)) // 2} earlier turn(s)[/]")
    for message in messages:
        who = "[bold cyan]you>[/]" if message["role"] == "user" else "[bold green]assistant:[/]"
        out.print(f"{who} {escape(message['content'])}", highlight=False, soft_wrap=True)


def _show_sessions(out: Console, workspace: Workspace, current: str) -> None:
    from agent.session import list_sessions

    saved = list_sessions(workspace.runs_dir)
    if not saved:
        out.print("[dim](no saved sessions)[/]")
        return
    for sid in saved:
        out.print(f"{sid}{'  [dim](this one)[/]' if sid == current else ''}", highlight=False)


def _help(out: Console) -> None:
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    for command, text in HELP.items():
        table.add_row(f"[bold]{command}[/]", text)
    out.print(table)
    out.print("[dim]Anything else is a message to the assistant.[/]")


class _LineReader:
    """Reads chat lines: readline history and editing in a terminal, plain lines from a pipe."""

    def __init__(self, out: Console, history_file: Path) -> None:
        self.out = out
        self.history_file = history_file
        self.tty = stdin_is_interactive() and sys.stdout.isatty()
        self._readline = None
        if self.tty:
            try:
                import readline
            except ImportError:  # pragma: no cover - Windows without pyreadline
                return
            self._readline = readline
            readline.set_history_length(1000)
            try:
                readline.read_history_file(str(history_file))
            except OSError:
                pass

    def read(self) -> str:
        """The next line (raises EOFError at the end of input, KeyboardInterrupt on Ctrl-C)."""
        if self._readline is not None:
            # \001...\002 tell readline the colour codes take no room on the line.
            return input("\001\033[1;36m\002you>\001\033[0m\002 ")
        line = self.out.input(f"[bold cyan]{PROMPT.strip()}[/] ")
        if not self.tty:
            self.out.print(line, highlight=False, markup=False)  # a transcript of piped input
        return line

    def close(self) -> None:
        """Save the line history."""
        if self._readline is not None:
            try:
                self.history_file.parent.mkdir(parents=True, exist_ok=True)
                self._readline.write_history_file(str(self.history_file))
            except OSError:
                pass


def _slash_command(line: str, session: Session, workspace: Workspace) -> bool:
    """Run a /command; False means leave the chat."""
    command = line.split()[0].lower()
    if command in ("/exit", "/quit"):
        return False
    if command == "/help":
        _help(console)
    elif command == "/reset":
        session.reset()
        console.print("conversation forgotten; the session's files stay.")
    elif command == "/save":
        path = session.save()
        console.print(f"saved session {session.id} to {escape(str(path))}", highlight=False, soft_wrap=True)
    elif command == "/history":
        _show_history(console, session)
    elif command == "/sessions":
        _show_sessions(console, workspace, session.id)
    else:
        console.print(f"unknown command {escape(command)}: /help lists them", highlight=False)
    return True


def chat(
    resume: Annotated[
        str | None,
        typer.Option(
            help="Resume a saved session by id ('last' for the most recent one).", show_default=False
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve side effects (exports, sends) without asking.")
    ] = False,
) -> None:
    """Chat with the assistant: answers stream in, tool calls show their key numbers; /help for commands."""
    from agent.cli.render import EventPrinter, render_reply

    settings = load_settings()
    workspace = Workspace.from_settings(settings).ensure()
    session = _open_session(workspace, resume, resume=resume is not None)
    assistant = make_assistant(settings, workspace)
    console.print(
        f"[bold]mkt chat[/] · session [bold]{session.id}[/] · {escape(_backend_label(settings))}\n"
        "[dim]/help for commands, /exit to leave.[/]",
        highlight=False,
    )
    if resume is not None:
        console.print(f"[dim]resumed {session.turns} turn(s):[/]")
        _show_history(console, session, HISTORY_TURNS)
    reader = _LineReader(console, workspace.runs_dir / "chat_history")
    interactive = stdin_is_interactive()
    try:
        while True:
            try:
                line = reader.read().strip()
            except EOFError:
                console.print()
                break
            if not line:
                continue
            if line.startswith("/"):
                if not _slash_command(line, session, workspace):
                    break
                continue
            printer = EventPrinter(console, yes=yes, interactive=interactive)
            printer.begin()
            try:
                reply = assistant.respond(session, line, on_event=printer, approve=printer.approve)
            except MktError as exc:  # the model could not be built: say so, keep chatting
                printer.close()
                err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
                continue
            finally:
                printer.pause()
            printer.close()
            render_reply(console, reply, printer)
    except KeyboardInterrupt:
        console.print("\n[dim]interrupted[/]")
    finally:
        reader.close()
        path = session.save()
    console.print(f"session {session.id} saved to {escape(str(path))}", highlight=False, soft_wrap=True)
    console.print(f"resume with: mkt chat --resume {session.id}", highlight=False, soft_wrap=True)


def ask(
    question: Annotated[str, typer.Argument(help="The question or request, in quotes.", show_default=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines on stdout: one per event, then the reply.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve side effects (exports, sends) without asking.")
    ] = False,
    session_id: Annotated[
        str | None,
        typer.Option("--session", help="Continue (or start) the session with this id.", show_default=False),
    ] = None,
    control: ControlOpt = None,
) -> None:
    """Ask one question (or request one campaign) and print the answer."""
    from agent.cli.render import EventPrinter, render_reply

    settings = load_settings(**({"control_fraction": control} if control else {}))
    workspace = Workspace.from_settings(settings).ensure()
    session = _open_session(workspace, session_id, resume=False)
    assistant = make_assistant(settings, workspace)
    out = err_console if as_json else console
    printer = EventPrinter(out, yes=yes, interactive=stdin_is_interactive(), show_tokens=not as_json)

    def on_event(event: StepEvent) -> None:
        if as_json:
            from agent.assistant import event_summary

            sys.stdout.write(json.dumps(event_summary(event), ensure_ascii=False, default=str) + "\n")
            sys.stdout.flush()
        printer(event)

    printer.begin()
    try:
        reply = assistant.respond(session, question, on_event=on_event, approve=printer.approve)
    finally:
        printer.close()
    if as_json:
        payload = {"event": "reply", "session": session.id, **reply.model_dump(mode="json")}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()
        err_console.print(f"[dim]session {session.id}[/]", highlight=False)
    else:
        render_reply(console, reply, printer)
        console.print(f"[dim]session {session.id}[/]", highlight=False)
