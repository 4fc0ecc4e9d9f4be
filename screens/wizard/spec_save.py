"""Where a journey's spec is saved, and what saving does to the file already there.

A journey's entry is merged into `./xwiz.toml` (`wizard.model.spec_merge`): added, or replacing the
entry with the same provider ID / the same role in the same account, every other entry kept. When
`./xwiz.toml` is for another project or pool (or does not load), the spec goes to a file of its own,
`xwiz-<project>.toml`, and the confirm dialog says so before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wizard.model.errors import InputError, XwizError
from wizard.model.spec import SPEC_FILE, FederationSpec, dump_spec, load_spec
from wizard.model.spec_merge import SpecMerge, alternative_name, merge_specs

from ..context import one_line, shown_path

MAX_ALTERNATIVES = 20


@dataclass(frozen=True)
class SaveChoice:
    path: Path
    """Where the spec goes: ./xwiz.toml, or a file of its own when that one is for something else."""
    merge: SpecMerge
    """What saving does to the file at `path` (against what is there now)."""
    conflict: str = ""
    """Why ./xwiz.toml itself was not used ("" when it was)."""

    @property
    def spec(self) -> FederationSpec:
        """The whole spec as saved: what `xwiz apply` of that file touches, so what the review plans."""
        return self.merge.spec

    @property
    def text(self) -> str:
        return dump_spec(self.merge.spec)

    @property
    def redirected(self) -> bool:
        return bool(self.conflict)

    def summary(self) -> str:
        """`adds 1 entry to ./xwiz.toml (3 kept)`, for the review and the confirm dialog."""
        return self.merge.describe(shown_path(self.path))

    def confirm_detail(self) -> str:
        where = shown_path(self.path)
        if self.redirected:
            default = shown_path(self.path.with_name(SPEC_FILE))
            return (f"{default} is for another federation: {self.conflict}. Saving {self.summary()} "
                    f"instead; {default} stays as it is. `xwiz plan -f {where}` reads it.")
        text = f"Saving {self.summary()} first."
        if self.merge.action in ("add", "replace"):
            text += f" The old file is kept as {where}.bak (its comments are not carried over)."
        return text


def read_spec(path: Path) -> tuple[FederationSpec | None, str | None]:
    """(spec, None); (None, None) when there is no file; (None, why) when it does not load."""
    if not path.exists():
        return None, None
    try:
        return load_spec(path), None
    except InputError as e:
        return None, one_line(e)


def choose_save(base: Path, new: FederationSpec) -> SaveChoice:
    """Merge into ./xwiz.toml when it is for the same project and pool; else a file of its own."""
    default = Path(base) / SPEC_FILE
    existing, error = read_spec(default)
    if error is None:
        merge = merge_specs(existing, new)
        if merge.mergeable:
            return SaveChoice(default, merge)
        conflict = merge.reason
    else:
        conflict = f"it does not load ({error})"
    name = alternative_name(new, existing)
    stem = name[: -len(".toml")]
    for n in range(1, MAX_ALTERNATIVES + 1):
        path = Path(base) / (name if n == 1 else f"{stem}-{n}.toml")
        other, other_error = read_spec(path)
        if other_error is not None:
            continue
        merge = merge_specs(other, new)
        if merge.mergeable:
            return SaveChoice(path, merge, conflict)
    raise XwizError(f"{shown_path(default)} and {MAX_ALTERNATIVES} alternatives ({name}, …) are all for other "
                    "federations: save from the CLI with `xwiz init -f FILE`")


def write_spec(choice: SaveChoice) -> Path:
    """Write the merged spec; a file with other content is kept as `<name>.bak` first."""
    path = choice.path
    text = choice.text
    if path.exists():
        if path.read_text(encoding="utf-8") == text:
            return path
        path.replace(path.with_name(path.name + ".bak"))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
