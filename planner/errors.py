"""Errors that reach the user as one clear paragraph, never as a traceback."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: names the file, layer, field or row, and what to do.

    Parameters
    ----------
    problem : str
        What is wrong, in plain words.
    file, layer, field, row : optional
        Where it is wrong.
    hint : str, optional
        What the user should do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        layer: str | None = None,
        field: str | None = None,
        row: str | int | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.layer = layer
        self.field = field
        self.row = row
        self.hint = hint
        super().__init__(self.message())

    def places(self) -> list[tuple[str, str | int]]:
        """Where it is wrong, in the order a message names it: ("file" | "layer" | "field" | "row", value)."""
        named: list[tuple[str, str | int | None]] = [("file", self.file), ("layer", self.layer), ("field", self.field)]
        return [(k, v) for k, v in named if v] + ([("row", self.row)] if self.row is not None else [])

    def message(self, lang: str = "en") -> str:
        """The paragraph shown to the user: "en" (the CLI, the tests, run.json) or "zh" (the
        Chinese window; planner.messages_zh translates the problem and the hint, and keeps the
        English text of any sentence it has no entry for)."""
        if str(lang).lower().startswith("zh"):
            from planner.messages_zh import chinese_message

            return chinese_message(self)
        where = [f"row {value}" if kind == "row" else f"{kind} '{value}'" for kind, value in self.places()]
        text = self.problem
        if where:
            text = f"{', '.join(where)}: {text}"
        if self.hint:
            text = f"{text} What to do: {self.hint}"
        return text


class Cancelled(Exception):
    """The user cancelled a running job through its feedback object."""
