"""`arshjul`: the command line. It talks to the services over gRPC like any other client."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from arshjul.client import console, err
from arshjul.demo import demo
from arshjul.measurements_cli import client_chart, client_report, followup_app, import_file
from arshjul.operations_cli import replay, reporting_app
from arshjul.reports_cli import report
from arshjul.scheduler_cli import scheduler_app
from arshjul.sessions_cli import knowledge_report, sessions_app
from shared.auth import issuer_from_settings
from shared.errors import DomainError
from shared.roles import Role
from shared.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Årshjul: systematisk uppföljning / follow-up.")
app.add_typer(scheduler_app, name="scheduler")
app.add_typer(followup_app, name="followup")
app.command("client-report")(client_report)
app.command("client-chart")(client_chart)
app.command("import")(import_file)
app.add_typer(reporting_app, name="reporting")
app.command("replay")(replay)
app.add_typer(sessions_app, name="sessions")
app.command("knowledge-report")(knowledge_report)
app.command("demo")(demo)
app.command("report")(report)


@app.command()
def up() -> None:
    """Start the whole stack on the embedded default; Ctrl-C stops everything."""
    from arshjul.stack import STACK_SERVICES
    from arshjul.supervisor import up as run_up

    raise typer.Exit(run_up(Settings(), services=list(STACK_SERVICES)))


@app.command()
def status() -> None:
    """Each service's gRPC health and the event count per topic."""
    from arshjul.status import show_status

    raise typer.Exit(asyncio.run(show_status(Settings(), console)))


@app.command()
def token(
    tenant: Annotated[str, typer.Option(help="Municipality code, region:<län> or nation.")],
    role: Annotated[Role, typer.Option(help="The caller's role.")],
    unit: Annotated[str | None, typer.Option(help="The unit, for unit roles.")] = None,
    subject: Annotated[str | None, typer.Option(help="Who the token names.")] = None,
) -> None:
    """Print a bearer token signed with the embedded default's secret."""
    try:
        issued = issuer_from_settings(Settings()).issue(
            tenant=tenant, role=role, unit=unit, subject=subject
        )
    except (DomainError, ValueError) as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    print(issued)


def main() -> None:
    app(prog_name="arshjul")


if __name__ == "__main__":
    main()
