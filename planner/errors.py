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

    def message(self, lang: str = "en") -> str:
        """The paragraph shown to the user: "en" (the CLI, the tests, run.json) or "zh" (the
        Chinese window; planner.messages_zh translates the problem and the hint, and keeps the
        English text of any sentence it has no entry for)."""
        if str(lang).lower().startswith("zh"):
            from planner.messages_zh import chinese_message

            return chinese_message(self)
        where = []
        if self.file:
            where.append(f"file '{self.file}'")
        if self.layer:
            where.append(f"layer '{self.layer}'")
        if self.field:
            where.append(f"field '{self.field}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        text = self.problem
        if where:
            text = f"{', '.join(where)}: {text}"
        if self.hint:
            text = f"{text} What to do: {self.hint}"
        return text


class Cancelled(Exception):
    """The user cancelled a running job through its feedback object."""
