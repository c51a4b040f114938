"""The check package as a whole: one module per lecture, all re-exported as `check.NAME`, so
no two modules may define the same name (one would silently hide the other)."""

import importlib
import pkgutil
from collections import Counter

import lecture_utils.check
from lecture_utils import check

MODULES = [importlib.import_module(f"lecture_utils.check.{info.name}")
           for info in pkgutil.iter_modules(lecture_utils.check.__path__)
           if not info.name.startswith("_")]


def test_every_lecture_module_is_re_exported_and_no_name_is_shared():
    names = Counter(name for module in MODULES for name in module.__all__)
    assert [name for name, count in names.items() if count > 1] == []
    for module in MODULES:
        for name in module.__all__:
            assert getattr(check, name) is getattr(module, name), f"{module.__name__}.{name}"


def test_every_check_is_documented():
    for module in MODULES:
        for name in module.__all__:
            assert callable(getattr(module, name)) and getattr(module, name).__doc__, name
