"""The API reference of nascourse, one page per public module, made from the package itself.

A module is public when no part of its dotted name starts with ``_``. Its public names are those
in its ``__all__`` when it has one, else the functions and classes it defines whose names do not
start with ``_``. Each page documents the names the module defines (functions and classes with
their public methods, and data that carries a ``#:`` comment) and lists, with links, the names
it re-exports from other modules, so that every object is described once, where it is defined.

The pages are written into ``docs/api/`` when the build starts, so a module added to the package
gets its page without anyone writing it; until ``docs/reference.rst`` lists it, in its place in
the order of the library, the build warns that the page is in no table of contents. Every public
module, function, class and method without a docstring, and every datum in an ``__all__`` without
a ``#:`` comment, is a build warning too; ``sphinx-build -W`` turns them into errors.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType

from sphinx.application import Sphinx
from sphinx.ext.autodoc.preserve_defaults import update_defvalue
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.inspect import signature, stringify_signature

logger = logging.getLogger(__name__)

PACKAGE = "nascourse"


def public_modules(package: str = PACKAGE) -> list[str]:
    """The package and every module under it whose dotted name has no part starting with ``_``."""
    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def _is_code(obj) -> bool:
    """A class, or a function (decorated ones too, such as an ``lru_cache``)."""
    return inspect.isclass(obj) or (inspect.isroutine(obj) and hasattr(obj, "__module__"))


def _assigned_names(module: ModuleType) -> dict[str, int]:
    """Names bound by assignments at the top level of the module's source, with their lines."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names.update({t.id: node.lineno for t in targets if isinstance(t, ast.Name) and t.id not in names})
    return names


def _attr_docs(module: ModuleType) -> dict[str, list[str]]:
    """The ``#:`` comments of the module's top-level data, by name."""
    docs = ModuleAnalyzer.for_module(module.__name__).find_attr_docs()
    return {name: lines for (scope, name), lines in docs.items() if scope == ""}


def _defines(module: ModuleType, name: str) -> bool:
    """Whether the module defines ``name`` (rather than importing it from another module)."""
    obj = getattr(module, name)
    if _is_code(obj):
        return getattr(obj, "__module__", None) == module.__name__
    return name in _assigned_names(module)


def public_names(module: ModuleType) -> list[str]:
    """The module's public names: its ``__all__``, else what it defines without a leading ``_``."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and _is_code(obj) and _defines(module, name)]


def _has_docstring(obj) -> bool:
    """Whether ``obj`` has a docstring of its own."""
    doc = obj.__doc__ or ""
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):
        doc = ""  # the signature that dataclasses and namedtuples write when the class has none
    return bool(doc.strip())


def _public_methods(cls: type) -> dict[str, object]:
    """The public methods and properties a class defines itself (not those it inherits), by name:
    the function (a property's getter)."""
    methods = {}
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if isinstance(member, property):
            member = member.fget
        if inspect.isroutine(member):
            methods[name] = member
    return methods


def _where(obj) -> str:
    """``file:line`` of a function or class, for a warning an editor can jump to."""
    try:
        return f"{inspect.getsourcefile(obj)}:{inspect.getsourcelines(obj)[1]}"
    except (OSError, TypeError):
        return inspect.getsourcefile(obj) or ""


def _definition(name: str, obj, modules: list[ModuleType]) -> str | None:
    """The dotted name where a re-exported object is defined, or None when no public module defines it."""
    if _is_code(obj):
        return f"{obj.__module__}.{obj.__qualname__}"
    for module in modules:
        if name in _assigned_names(module) and getattr(module, name, None) is obj:
            return f"{module.__name__}.{name}"
    return None


def module_page(module: ModuleType, modules: list[ModuleType]) -> tuple[str, list[tuple[str, str]]]:
    """The reStructuredText of one module's page, and the problems found: (where, what is missing)."""
    name = module.__name__
    problems = []
    if not (module.__doc__ or "").strip():
        problems.append((f"{module.__file__}:1", f"module {name} has no docstring"))
    attr_docs = _attr_docs(module)
    assigned = _assigned_names(module)
    lines = [name, "=" * len(name), "", f".. automodule:: {name}", ""]
    exported = []
    for attr in public_names(module):
        obj = getattr(module, attr)
        if not _defines(module, attr):
            target = _definition(attr, obj, modules)
            if target is None:
                problems.append((f"{module.__file__}:1", f"{name}.{attr} is public but no public module defines it"))
            else:
                exported.append(f":py:obj:`{attr} <{target}>`")
            continue
        if _is_code(obj) and not inspect.isclass(obj):
            if not _has_docstring(obj):
                problems.append((_where(obj), f"function {name}.{attr} has no docstring"))
            lines += [f".. autofunction:: {name}.{attr}", ""]
        elif inspect.isclass(obj):
            if not _has_docstring(obj):
                problems.append((_where(obj), f"class {name}.{attr} has no docstring"))
            for method, function in _public_methods(obj).items():
                if not _has_docstring(function):
                    problems.append((_where(function), f"method {name}.{attr}.{method} has no docstring"))
            lines += [f".. autoclass:: {name}.{attr}", "   :members:"]
            lines += ["   :show-inheritance:"] if obj.__bases__ != (object,) else []  # no "Bases: object"
            lines += [""]
        elif attr in attr_docs:
            lines += [f".. autodata:: {name}.{attr}", "   :no-value:", ""]
        elif hasattr(module, "__all__"):
            problems.append((f"{module.__file__}:{assigned[attr]}", f"{name}.{attr} is in __all__ but has no #: comment"))
    # Data without __all__ is documented when it has a #: comment, and otherwise left to the source.
    if not hasattr(module, "__all__"):
        for attr in assigned:
            if attr in attr_docs and not attr.startswith("_"):
                lines += [f".. autodata:: {name}.{attr}", "   :no-value:", ""]
    if exported:
        lines += ["Also importable from this module: " + ", ".join(exported) + ".", ""]
    return "\n".join(lines), problems


def write_pages(app: Sphinx) -> None:
    """Write ``api/<module>.rst`` for every public module and warn about every missing docstring."""
    out = Path(app.srcdir) / "api"
    out.mkdir(exist_ok=True)
    names = public_modules()
    modules = [importlib.import_module(n) for n in names]
    pages = set()
    for module in modules:
        text, problems = module_page(module, modules)
        for where, what in problems:
            logger.warning(what, location=where, type="apiref", subtype="docstring")
        page = out / f"{module.__name__}.rst"
        pages.add(page)
        if not page.exists() or page.read_text(encoding="utf-8") != text:
            page.write_text(text, encoding="utf-8")  # unchanged pages keep their time: no rebuild
    for stale in set(out.glob("*.rst")) - pages:  # a module that was removed or renamed
        stale.unlink()


def public_bases(app: Sphinx, name: str, obj, options, bases: list) -> None:
    """Show a private base class (``supernet._Supernet``) as the public classes it derives from."""
    i = 0
    while i < len(bases):
        if inspect.isclass(bases[i]) and bases[i].__name__.startswith("_"):
            bases[i:i + 1] = bases[i].__bases__
        else:
            i += 1


def own_init_signature(app: Sphinx, what: str, name: str, obj, options, sig, return_annotation):
    """A class that defines ``__init__`` is shown with that signature, also when a base class from
    another library defines ``__new__`` (traitlets' ``HasTraits`` under the widgets), whose
    ``*args, **kwargs`` autodoc would show instead."""
    if what != "class" or not inspect.isclass(obj) or "__init__" not in vars(obj):
        return None
    new = next(vars(k)["__new__"] for k in obj.__mro__ if "__new__" in vars(k))
    if new is object.__new__ or "__new__" in vars(obj):
        return None
    update_defvalue(app, obj.__init__, True)  # the defaults as written (DARTS_V2), with autodoc_preserve_defaults
    init = signature(obj.__init__, bound_method=True, type_aliases=app.config.autodoc_type_aliases)
    return stringify_signature(init, show_return_annotation=False, unqualified_typehints=True), None


def skip_field_aliases(app: Sphinx, what: str, name: str, obj, skip: bool, options) -> bool | None:
    """Leave out a namedtuple's field accessors ("Alias for field number 0"): the class's docstring
    says what its fields hold."""
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", write_pages)
    app.connect("autodoc-skip-member", skip_field_aliases)
    app.connect("autodoc-process-bases", public_bases)
    app.connect("autodoc-process-signature", own_init_signature)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
