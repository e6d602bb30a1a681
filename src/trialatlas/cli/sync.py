"""Keeping current and scaling out: sync, history, diff, copy, near."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from trialatlas.cli.common import (
    DB_OPTION_HELP,
    JsonOption,
    console,
    derived_progress,
    err_console,
    opened,
    print_json,
)
from trialatlas.errors import InputError, NotFoundError
from trialatlas.services.checks import MAX_LIMIT

if TYPE_CHECKING:
    from trialatlas.store.history import Change, TrialVersion

DbOption = Annotated[
    str | None,
    typer.Option("--db", help=DB_OPTION_HELP + " Or a postgresql:// URL.", show_default=False),
]


def register(app: typer.Typer) -> None:
    app.command("sync")(sync_command)
    app.command("history")(history_command)
    app.command("diff")(diff_command)
    app.command("copy")(copy_command)
    app.command("near")(near_command)


def sync_command(
    db: DbOption = None,
    query: Annotated[str | None, typer.Option("--query", help="Only studies matching this search.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only studies updated on or after DATE (YYYY-MM-DD).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Start over: neither resume nor go incremental.")
    ] = False,
    bulk: Annotated[
        Path | None, typer.Option("--bulk", help="Bootstrap from ctg-studies.json.zip instead of the API.")
    ] = None,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="Studies per page.")] = 1000,
    base_url: Annotated[str, typer.Option(help="API v2 base URL.")] = "https://clinicaltrials.gov/api/v2",
    state: Annotated[Path | None, typer.Option(help="Sync state file (default: beside the store).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Bring the store up to date with ClinicalTrials.gov; an interrupted run resumes where it stopped."""
    from trialatlas.sync import CtgovApi, bootstrap, sync
    from trialatlas.sync.service import SyncReport

    with opened(db) as atlas:
        store = atlas.store
        if bulk is not None:
            report = bootstrap(store, bulk, api_base=base_url, state_path=state)
        else:

            def progress(done: SyncReport) -> None:
                if not as_json:
                    total = f"/{done.total_count:,}" if done.total_count is not None else ""
                    err_console.print(
                        f"page {done.pages}: {done.studies:,}{total} studies, {done.new:,} new,"
                        f" {done.updated:,} updated",
                        highlight=False,
                    )

            api = CtgovApi(base_url=base_url)
            report = sync(
                store,
                api,
                query=query,
                since=since,
                full=full,
                page_size=page_size,
                state_path=state,
                on_page=progress,
            )
        with derived_progress(quiet=as_json) as tell:
            atlas.bring_up_to_date(on_progress=tell)
    if as_json:
        print_json(report.as_dict())
        return
    table = Table(
        title=Text(f"Sync {'(resumed) ' if report.resumed else ''}since {report.since or 'the start'}")
    )
    for column in ("pages", "studies", "new", "updated", "unchanged", "failed", "retries", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            f"{value:,}"
            for value in (report.pages, report.studies, report.new, report.updated, report.unchanged)
        ),
        Text(f"{report.failed:,}", style="red" if report.failed else ""),
        f"{report.retries:,}",
        f"{report.seconds:.1f}",
    )
    console.print(table)
    for error in report.errors[:50]:
        err_console.print(Text(f"  ✗ {error.location}: {error.reason}", style="red"), soft_wrap=True)


def _version_dict(version: TrialVersion) -> dict[str, Any]:
    trial = version.trial
    return {
        "number": version.number,
        "stored_at": version.stored_at,
        "replaced_at": version.replaced_at,
        "registry_date": version.registry_date,
        "overall_status": trial.status.overall_status.value if trial.status.overall_status else None,
        "enrollment": trial.design.enrollment.count if trial.design.enrollment else None,
        "sites": len(trial.locations),
    }


def _versions(db: str | None, nct: str) -> list[TrialVersion]:
    with opened(db) as atlas:
        versions: list[TrialVersion] = atlas.store.versions(nct.strip())
    if not versions:
        raise NotFoundError(f"no trial {nct.strip()[:60]} in the store")
    return versions


def history_command(
    nct: Annotated[str, typer.Argument(help="NCT id (or any id show accepts).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every version of a trial this store has seen, oldest first."""
    versions = _versions(db, nct)
    if as_json:
        print_json([_version_dict(version) for version in versions])
        return
    title = f"{versions[-1].trial.key}: {len(versions)} version{'s' if len(versions) != 1 else ''}"
    table = Table(title=Text(title))
    for column in ("#", "registry date", "stored", "status", "enrollment", "sites"):
        table.add_column(column)
    for version in versions:
        row = _version_dict(version)
        table.add_row(
            str(version.number) + (" (current)" if version.is_current else ""),
            row["registry_date"] or "",
            version.stored_at.replace("T", " ").removesuffix("+00:00"),
            row["overall_status"] or "",
            "" if row["enrollment"] is None else f"{row['enrollment']:,}",
            str(row["sites"]),
        )
    console.print(table)


def _change_dict(change: Change) -> dict[str, Any]:
    return {
        "aspect": change.aspect.value,
        "field": change.field,
        "kind": change.kind,
        "before": change.before,
        "after": change.after,
    }


def diff_command(
    nct: Annotated[str, typer.Argument(help="NCT id (or any id show accepts).")],
    since: Annotated[
        str | None,
        typer.Option("--from", help="Compare with the version current on DATE (default: the previous one)."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What changed in a trial: status, enrollment, dates, sites, criteria, design."""
    from trialatlas.store import diff_trials, version_at

    versions = _versions(db, nct)
    current = versions[-1]
    if since is not None:
        older = version_at(versions, since) or versions[0]
    else:
        older = versions[-2] if len(versions) > 1 else current
    changes = diff_trials(older.trial, current.trial)
    if as_json:
        print_json(
            {
                "key": current.trial.key,
                "from": None if older is current else _version_dict(older),
                "to": _version_dict(current),
                "changes": [_change_dict(change) for change in changes],
            }
        )
        return
    if older is current:
        console.print(Text(f"{current.trial.key}: one version only, nothing to compare"))
        return
    console.print(
        Text(
            f"{current.trial.key}: version {older.number} ({older.as_of}) → version {current.number}"
            f" ({current.as_of}): {len(changes)} change{'s' if len(changes) != 1 else ''}",
            style="bold",
        )
    )
    table = Table(show_header=True)
    for column in ("aspect", "field", "before", "after"):
        table.add_column(column, overflow="fold")
    for change in changes:
        table.add_row(
            change.aspect.value,
            Text(change.field),
            Text(change.before or "—", style="red" if change.after is None else ""),
            Text(change.after or "—", style="green" if change.before is None else ""),
        )
    console.print(table)


def copy_command(
    source: Annotated[str, typer.Argument(help="Store to copy from (path or URL).")],
    target: Annotated[str, typer.Argument(help="Empty store to copy into (path or postgresql:// URL).")],
    batch_size: Annotated[int, typer.Option(min=1, help="Trials per transaction.")] = 500,
    as_json: JsonOption = False,
) -> None:
    """Copy a whole store (raw records and history included) to another backend, then compare digests."""
    from trialatlas.store import copy_store

    with opened(source) as src, opened(target) as dst:
        report = copy_store(src.store, dst.store, batch_size=batch_size)
        with derived_progress(quiet=as_json) as tell:
            dst.bring_up_to_date(on_progress=tell)
    if as_json:
        print_json({"trials": report.trials, "versions": report.versions, "digest": report.digest})
        return
    console.print(
        Text(
            f"copied {report.trials:,} trials and {report.versions:,} older versions;"
            f" digest {report.digest[:16]}"
        )
    )


def near_command(
    location: Annotated[
        str | None, typer.Argument(help='Where the patient is: "City[, State], Country" or "lat, lon".')
    ] = None,
    location_option: Annotated[
        str | None, typer.Option("--location", help="The same place, given as an option instead.")
    ] = None,
    db: DbOption = None,
    radius: Annotated[float | None, typer.Option("--radius", min=0, help="Only sites within KM.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="Trials to list.")] = 20,
    not_yet: Annotated[
        bool, typer.Option("--include-not-yet", help="Count sites not yet recruiting too.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Recruiting trials nearest a patient, by the distance to their closest recruiting site."""
    if location and location_option and location != location_option:
        raise InputError("give the place once: as the argument or as --location")
    place = location or location_option
    if not place:
        raise InputError('where is the patient? near "Hangzhou, China" (or --location "Hangzhou, China")')
    with opened(db) as atlas:
        result = atlas.near(
            {"location": place, "radius_km": radius, "limit": limit, "include_not_yet": not_yet}
        )
    if as_json:
        print_json(result)
        return
    origin = result.origin
    where = f"{origin.name} ({origin.lat:.3f}, {origin.lon:.3f})"
    table = Table(title=Text(f"Recruiting trials nearest {where}"))
    for column, justify in (("km", "right"), ("trial", "left"), ("nearest site", "left"), ("title", "left")):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for hit in result.trials:
        site = ", ".join(part for part in (hit.facility, hit.city, hit.country) if part)
        table.add_row(f"{hit.distance_km:,.0f}", hit.key, Text(site), Text(hit.title))
    console.print(table)
    console.print(
        Text(
            f"{result.recruiting_trials:,} of {result.scanned:,} trials recruiting;"
            f" {result.unlocated_sites:,} sites could not be placed",
            style="dim",
        )
    )
