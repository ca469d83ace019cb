"""The declarative layer catalogue: layers, fields, synonyms, value domains, default styles.

It is read from the TOML files in ``layers/`` (and ``layers/domains/``); users extend it by
editing those files or by pointing ``extra_dirs`` at their own folder of the same shape,
whose entries add to (never replace) the shipped ones.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.paths import LAYERS_DIR

# Parsed TOML (tables of str, numbers, lists and tables), checked key by key where it is read.
TomlTable = dict[str, Any]

FIELD_KINDS = {"text", "int", "float", "date", "year", "storeys", "bool", "ratio", "domain"}


def normalise_name(name: str) -> str:
    """Key used to compare field names and domain values: trimmed, case-folded."""
    return str(name).strip().casefold()


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    title: str
    title_en: str
    synonyms: tuple[str, ...]
    domain: str | None = None


@dataclass(frozen=True)
class DomainValue:
    key: str
    title: str
    title_en: str
    names: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    colour: str | None = None
    extra: TomlTable = field(default_factory=dict, compare=False, hash=False)  # the value's other TOML keys


@dataclass
class Domain:
    """A closed list of values with the spellings that mean each one."""

    name: str
    values: list[DomainValue]
    keep_raw: bool = False
    match: str = "exact"

    def __post_init__(self) -> None:
        self._by_name: dict[str, str] = {}
        for v in self.values:
            for spelling in (v.key, v.title, v.title_en, *v.names):
                self._by_name.setdefault(normalise_name(spelling), v.key)
        # Longest code first so that "R2" is tried before "R", "0701" before "07".
        self._codes = sorted(
            ((normalise_name(c), v.key) for v in self.values for c in v.codes),
            key=lambda item: -len(item[0]),
        )

    def lookup(self, value: object) -> str | None:
        """The key of one raw value, or None where it matches nothing."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        text = normalise_name(str(value))
        if not text:
            return None
        if text in self._by_name:
            return self._by_name[text]
        if self.match == "prefix":
            for code, key in self._codes:
                if text.startswith(code):
                    return key
        return None

    def classify_with_failures(self, series: pd.Series) -> tuple[pd.Series, npt.NDArray[np.bool_], list[str]]:
        """Keys, a mask of non-blank values that match nothing, and a few of those values."""
        codes: npt.NDArray[np.intp]
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        keys = [self.lookup(u) for u in uniques]
        table = np.array(keys + [None], dtype=object)
        unknown = np.array([k is None and normalise_name(u) not in ("", "nan", "null", "none", "-")
                            for k, u in zip(keys, uniques, strict=True)] + [False])
        examples = [str(u) for k, u, bad in zip(keys, uniques, unknown, strict=False) if bad][:3]
        return pd.Series(table[codes], index=series.index, dtype=object), unknown[codes], examples

    def value(self, key: str) -> DomainValue | None:
        for v in self.values:
            if v.key == key:
                return v
        return None

    def title(self, key: str, lang: str = "zh") -> str:
        v = self.value(key)
        if v is None:
            return str(key)
        return v.title if lang == "zh" else v.title_en


@dataclass
class LayerSpec:
    role: str
    title: str
    title_en: str
    geometry: str  # polygon | line | point | any
    id_field: str
    fields: list[FieldSpec]
    style: TomlTable  # the layer file's [style] table

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def synonym_index(self) -> dict[str, str]:
        """normalised column name -> canonical field name (first declared wins)."""
        index: dict[str, str] = {}
        for f in self.fields:
            for s in (f.name, *f.synonyms):
                index.setdefault(normalise_name(s), f.name)
        return index


@dataclass
class RasterKind:
    name: str
    title: str
    title_en: str
    unit: str
    synonyms: tuple[str, ...]
    colormap: str


@dataclass
class Catalogue:
    layers: dict[str, LayerSpec]
    domains: dict[str, Domain]
    rasters: dict[str, RasterKind]
    sources: list[str]

    def layer(self, role: str) -> LayerSpec:
        try:
            return self.layers[role]
        except KeyError:
            known = ", ".join(sorted(self.layers))
            raise KeyError(f"unknown layer role '{role}' (known: {known})") from None

    def raster_kind(self, name: str) -> RasterKind | None:
        key = normalise_name(name)
        for kind in self.rasters.values():
            if key in {normalise_name(s) for s in (kind.name, *kind.synonyms)}:
                return kind
        return None

    def facility_radii(self) -> dict[str, float]:
        """Living-circle radius (m) of each facility type that has one."""
        return {
            v.key: float(v.extra.get("radius_m", 0))
            for v in self.domains["facility_type"].values
            if float(v.extra.get("radius_m", 0)) > 0
        }


def _read_toml(path: Path) -> TomlTable:
    with path.open("rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            from planner.errors import InputError

            raise InputError(
                f"the layer catalogue file is not valid TOML ({exc}).",
                file=str(path),
                hint="fix the syntax or restore the file from the installation.",
            ) from None


def _merge_layer(layers: dict[str, LayerSpec], data: TomlTable, source: Path) -> None:
    meta = data.get("layer", {})
    role = meta.get("role")
    if not role:
        return
    fields = []
    for f in data.get("fields", []):
        kind = f.get("kind", "text")
        if kind not in FIELD_KINDS:
            from planner.errors import InputError

            raise InputError(
                f"the layer catalogue declares field '{f.get('name')}' of layer role '{role}' with kind "
                f"'{kind}', which is not a field kind.",
                file=str(source), layer=str(role), field=str(f.get("name")),
                hint=f"write one of {', '.join(sorted(FIELD_KINDS))} as kind = \"...\" for that field, or "
                     "restore the file from the installation.",
            )
        fields.append(
            FieldSpec(
                name=f["name"],
                kind=kind,
                title=f.get("title", f["name"]),
                title_en=f.get("title_en", f["name"]),
                synonyms=tuple(f.get("synonyms", ())),
                domain=f.get("domain"),
            )
        )
    if role in layers:  # a user file extends a shipped layer: add synonyms and new fields
        spec = layers[role]
        by_name = {f.name: i for i, f in enumerate(spec.fields)}
        for f in fields:
            if f.name in by_name:
                old = spec.fields[by_name[f.name]]
                merged = tuple(dict.fromkeys((*old.synonyms, *f.synonyms)))
                spec.fields[by_name[f.name]] = FieldSpec(
                    old.name, old.kind, old.title, old.title_en, merged, old.domain
                )
            else:
                spec.fields.append(f)
        spec.style.update(data.get("style", {}))
        return
    layers[role] = LayerSpec(
        role=role,
        title=meta.get("title", role),
        title_en=meta.get("title_en", role),
        geometry=meta.get("geometry", "any"),
        id_field=meta.get("id_field", fields[0].name if fields else "id"),
        fields=fields,
        style=dict(data.get("style", {})),
    )


def _domain_values(items: list[TomlTable]) -> list[DomainValue]:
    known = {"key", "title", "title_en", "names", "codes", "colour"}
    return [
        DomainValue(
            key=str(v["key"]),
            title=str(v.get("title", v["key"])),  # a numeric key (key = 11) is titled by its text
            title_en=str(v.get("title_en", v["key"])),
            names=tuple(v.get("names", ())),
            codes=tuple(v.get("codes", ())),
            colour=v.get("colour"),
            extra={k: val for k, val in v.items() if k not in known},
        )
        for v in items
    ]


def _merge_domain(domains: dict[str, Domain], data: TomlTable) -> None:
    meta = data.get("domain", {})
    name = meta.get("name")
    if not name:
        return
    values = _domain_values(data.get("values", []))
    if name in domains:  # extend: new keys are added, known keys gain spellings
        old = domains[name]
        by_key = {v.key: v for v in old.values}
        for v in values:
            if v.key in by_key:
                o = by_key[v.key]
                by_key[v.key] = DomainValue(
                    o.key, o.title, o.title_en,
                    tuple(dict.fromkeys((*o.names, *v.names))),
                    tuple(dict.fromkeys((*o.codes, *v.codes))),
                    o.colour or v.colour, {**o.extra, **v.extra},
                )
            else:
                by_key[v.key] = v
        domains[name] = Domain(name, list(by_key.values()), old.keep_raw, old.match)
        return
    domains[name] = Domain(
        name, values, keep_raw=bool(meta.get("keep_raw", False)), match=meta.get("match", "exact")
    )


def load_catalogue(*extra_dirs: str | Path) -> Catalogue:
    """Read the shipped catalogue, then each folder of ``extra_dirs`` on top of it."""
    layers: dict[str, LayerSpec] = {}
    domains: dict[str, Domain] = {}
    rasters: dict[str, RasterKind] = {}
    sources: list[str] = []
    for folder in (LAYERS_DIR, *map(Path, extra_dirs)):
        paths = sorted(folder.glob("*.toml")) + sorted((folder / "domains").glob("*.toml"))
        for path in paths:
            data = _read_toml(path)
            sources.append(str(path))
            if "domain" in data:
                _merge_domain(domains, data)
            if "layer" in data:
                _merge_layer(layers, data, path)
            for r in data.get("rasters", []):
                rasters[r["name"]] = RasterKind(
                    name=r["name"],
                    title=r.get("title", r["name"]),
                    title_en=r.get("title_en", r["name"]),
                    unit=r.get("unit", ""),
                    synonyms=tuple(r.get("synonyms", ())),
                    colormap=r.get("colormap", "gray"),
                )
    return Catalogue(layers=layers, domains=domains, rasters=rasters, sources=sources)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The shipped catalogue, read once per process."""
    return load_catalogue()
