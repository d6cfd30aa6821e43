"""``fast_init``: the pipeline's frozen dataclasses built through their slots behave as
the ``__init__`` ``dataclass`` writes: same parameters and defaults, same fields set,
still frozen, equal, hashable, replaceable and picklable."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor import frozen
from monitor.entries import Entry, EntryKeys, Matched
from monitor.frozen import fast_init
from monitor.model import Headline, Outlet

T0 = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)
CLASSES = [Entry, EntryKeys, Matched, Outlet, Headline]


def reference(cls: type) -> type:
    """The same fields in a dataclass with the ``__init__`` ``dataclass`` writes."""
    return dataclass(frozen=True, slots=True)(
        type(cls.__name__, (), {
            "__annotations__": {f.name: Any for f in dataclasses.fields(cls)},
            **{f.name: f.default for f in dataclasses.fields(cls)
               if f.default is not dataclasses.MISSING},
        })
    )  # fmt: skip


def value(rng: random.Random) -> object:
    return rng.choice(["a", "Nvidia", None, 3, (), ("x", "y"), T0 + timedelta(seconds=7), True])


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_built_through_the_slots_as_dataclass_builds_them(cls: type) -> None:
    ref = reference(cls)

    def parameters(init: Any) -> list[tuple[str, object, object]]:
        return [(p.name, p.default, p.kind) for p in inspect.signature(init).parameters.values()]

    assert parameters(cls.__init__) == parameters(ref.__init__)
    names = [f.name for f in dataclasses.fields(cls)]
    required = sum(f.default is dataclasses.MISSING for f in dataclasses.fields(cls))
    rng = random.Random(len(names))
    for _ in range(200):
        args = [value(rng) for _ in range(rng.randint(required, len(names)))]
        kwargs = dict(zip(names, args, strict=False))
        for made, expected in (
            (cls(*args), ref(*args)),
            (cls(**kwargs), ref(**kwargs)),
        ):
            assert [getattr(made, n) for n in names] == [getattr(expected, n) for n in names]
        assert cls(*args) == cls(**kwargs) and hash(cls(*args)) == hash(cls(**kwargs))
    with pytest.raises(TypeError):
        cls(*[None] * (len(names) + 1))
    if required:
        with pytest.raises(TypeError):
            cls(*[None] * (required - 1))


def test_the_pipeline_objects_stay_frozen_and_copy_and_pickle_as_before() -> None:
    e = Entry("feed", "Wire", "DeepSeek rattles Nvidia", "https://w.example/1", "g1", "", T0)
    h = Headline("s1", e.title, e.link, e.source, e.feed, T0, T0,
                 outlets=(Outlet("Wire", e.link, T0, "w.example"),))  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.title = "changed"  # type: ignore[misc]
    later = dataclasses.replace(h, first_seen=T0 + timedelta(hours=1))
    assert later.first_seen == T0 + timedelta(hours=1) and later.outlets == h.outlets
    assert later != h and dataclasses.replace(later, first_seen=T0) == h
    assert pickle.loads(pickle.dumps(h)) == h
    assert pickle.loads(pickle.dumps(e)) == e
    assert (e.date_known, e.tickers, e.domain) == (True, (), None)  # the defaults


def test_only_plain_frozen_slotted_dataclasses_are_taken() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    for cls in (NoSlots, NotFrozen, Factory):
        with pytest.raises(TypeError):
            fast_init(cls)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_replace_copies_as_dataclasses_replace_does(cls: type) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    rng = random.Random(len(names) + 1)
    for _ in range(200):
        obj = cls(*[value(rng) for _ in names])
        changes = {n: value(rng) for n in rng.sample(names, rng.randint(0, len(names)))}
        copied = frozen.replace(obj, **changes)
        expected = dataclasses.replace(obj, **changes)
        assert type(copied) is cls
        assert [getattr(copied, n) for n in names] == [getattr(expected, n) for n in names]
        assert copied == expected and hash(copied) == hash(expected)
    with pytest.raises(TypeError, match="no field 'nope'"):
        frozen.replace(obj, nope=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(copied, names[0], None)
