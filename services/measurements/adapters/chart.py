"""The A-B-C chart of a goal's single-case series (seed 003, figure 1).

Points per week, each phase drawn apart; a vertical line between phases; a
horizontal line at each phase's mean; PND and NAP of each later phase
against the baseline in the legend. Rendered with matplotlib's Agg canvas
(no display, no global pyplot state) to PNG or SVG. The legend's texts are
also written into the file's metadata ("Description"), so a reader (or a
test) can see the figures the chart shows without reading pixels.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from shared.api import measurements_pb2 as pb

FORMATS = ("png", "svg")
_COLOURS = {"A": "#4c72b0", "B": "#dd8452", "C": "#55a868"}
_TEXT = {
    "sv": {
        "week": "Vecka",
        "A": "A: före insats",
        "B": "B: under insats",
        "C": "C: efter insats",
        "mean": "Medelvärde {phase} = {value}",
        "pnd": "PND {baseline}→{treatment} = {value} %",
        "nap": "NAP {baseline}→{treatment} = {value}",
        "higher": "högre är bättre",
        "lower": "lägre är bättre",
    },
    "en": {
        "week": "Week",
        "A": "A: before intervention",
        "B": "B: during intervention",
        "C": "C: after intervention",
        "mean": "Mean {phase} = {value}",
        "pnd": "PND {baseline}→{treatment} = {value} %",
        "nap": "NAP {baseline}→{treatment} = {value}",
        "higher": "higher is better",
        "lower": "lower is better",
    },
}


def number(value: float, lang: str, decimals: int) -> str:
    """`value` with `decimals` decimals, a decimal comma in Swedish."""
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if lang == "sv" else text


def legend_texts(series: pb.Series, lang: str) -> list[str]:
    """The legend's statistics: each phase's mean, then PND and NAP against A."""
    text = _TEXT[lang]
    texts = [
        text["mean"].format(phase=p.phase, value=number(p.mean, lang, 1)) for p in series.phases
    ]
    for c in series.comparisons:
        texts.append(
            text["pnd"].format(
                baseline=c.baseline, treatment=c.treatment, value=number(c.pnd * 100, lang, 0)
            )
        )
        texts.append(
            text["nap"].format(
                baseline=c.baseline, treatment=c.treatment, value=number(c.nap, lang, 2)
            )
        )
    return texts


def render_chart(series: pb.Series, path: Path, lang: str = "sv") -> list[str]:
    """Draw the chart into `path` (.png or .svg); returns the legend's statistics."""
    kind = path.suffix.lstrip(".").lower()
    if kind not in FORMATS:
        raise ValueError(f"the chart is written as .png or .svg, not {path.name}")
    if not series.points:
        raise ValueError(f"goal {series.goal_id} has no points measured during the intervention")
    text = _TEXT[lang]
    figure = Figure(figsize=(9, 5), dpi=100)
    axes = figure.subplots()
    handles: list[Line2D] = []
    for phase in series.phases:
        points = [p for p in series.points if p.phase == phase.phase]
        colour = _COLOURS.get(phase.phase, "#333333")
        (line,) = axes.plot(
            [p.week for p in points],
            [p.value for p in points],
            marker="o",
            color=colour,
            label=text.get(phase.phase, phase.phase),
        )
        handles.append(line)
        (mean,) = axes.plot(
            [phase.first_week - 0.4, phase.last_week + 0.4],
            [phase.mean, phase.mean],
            linestyle=":",
            color=colour,
            label=text["mean"].format(phase=phase.phase, value=number(phase.mean, lang, 1)),
        )
        handles.append(mean)
        axes.text(
            (phase.first_week + phase.last_week) / 2,
            0.97,
            phase.phase,
            transform=axes.get_xaxis_transform(),
            ha="center",
            va="top",
            fontweight="bold",
            color=colour,
        )
    for before, after in zip(series.phases, series.phases[1:], strict=False):
        axes.axvline((before.last_week + after.first_week) / 2, color="#555555", linestyle="--")
    statistics = legend_texts(series, lang)
    handles += [
        Line2D([], [], linestyle="none", label=label) for label in statistics[len(series.phases) :]
    ]
    scale_name = series.scale_name_sv if lang == "sv" else series.scale_name_en
    direction = text["lower"] if series.direction == "lower_is_better" else text["higher"]
    axes.set_title(f"{series.goal_title} – {scale_name}")
    axes.set_xlabel(text["week"])
    axes.set_ylabel(f"{scale_name} ({direction})")
    weeks = [p.week for p in series.points]
    values = [p.value for p in series.points]
    low, high = min(0, *values), max(values)
    axes.set_ylim(low, high + max(1.0, (high - low) * 0.2))  # room for the phase letters
    axes.set_xticks(range(min(weeks), max(weeks) + 1))
    axes.grid(axis="y", alpha=0.3)
    legend = axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.subplots_adjust(right=0.68)
    shown = [t.get_text() for t in legend.get_texts()]
    figure.savefig(
        path,
        format=kind,
        metadata={"Title": axes.get_title(), "Description": "\n".join(shown)},
    )
    return statistics
