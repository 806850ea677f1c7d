"""Each ticket form's slots are defined once: its questions in domain.yml (the form's
required_slots), and every slot the action code sets is a slot domain.yml declares."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from actions.ticket_forms import (
    ALL_FORM_SLOTS,
    DRAFT_SLOT,
    FORM_QUESTIONS,
    FORM_SLOTS,
    SUBMISSION_SLOT,
    TICKET_FORMS,
)
from tests.replies import DOMAIN

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
# The module of each ticket form's code.
FORM_MODULES = {
    "feedback_form": "feedback.py",
    "business_form": "business.py",
    "misinformation_form": "misinformation.py",
    "complaint_form": "complaint.py",
}


def _constants(trees: list[ast.Module]) -> dict[str, Any]:
    """Module-level names bound to a string or a tuple of strings, in every module."""
    found: dict[str, Any] = {}
    for tree in trees:
        for node in tree.body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and value is not None:
                try:
                    literal = ast.literal_eval(value)
                except ValueError:
                    continue
                if isinstance(literal, str) or (
                    isinstance(literal, tuple) and all(isinstance(v, str) for v in literal)
                ):
                    found[target.id] = literal
    return found


def _names(node: ast.expr | None, constants: dict[str, Any]) -> set[str]:
    """The slot names an expression stands for: a string, or a constant holding some."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and node.id in constants:
        value = constants[node.id]
        return {value} if isinstance(value, str) else set(value)
    return set()


def _returned_keys(
    function: ast.FunctionDef | ast.AsyncFunctionDef, constants: dict[str, Any]
) -> set[str]:
    """The keys of the slot dict a validate_/extract_ method (or a helper returning
    dict[str, Any]) builds: dict displays, `{s: None for s in SLOTS}`, `d["slot"] = v`,
    `d.update({...})`."""
    keys: set[str] = set()
    returned = {
        node.value.id
        for node in ast.walk(function)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name)
    }
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            for inner in ast.walk(node.value):
                if isinstance(inner, ast.Dict):
                    keys |= {k for key in inner.keys if key for k in _names(key, constants)}
                if isinstance(inner, ast.DictComp):
                    keys |= {k for gen in inner.generators for k in _names(gen.iter, constants)}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in returned:
                    if isinstance(node.value, ast.Dict):
                        keys |= {
                            k for key in node.value.keys if key for k in _names(key, constants)
                        }
                elif (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in returned
                ):
                    keys |= _names(target.slice, constants)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and node.args
            and isinstance(node.args[0], ast.Dict)
        ):
            keys |= {k for key in node.args[0].keys if key for k in _names(key, constants)}
    return keys


def slots_set_by(path: Path, constants: dict[str, Any]) -> set[str]:
    """Every slot name a module's code sets: SlotSet("…"), the slots its validate_ and
    extract_ methods answer for and the keys they return, *_slot="…" arguments."""
    slots: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    methods = {
        item
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for item in node.body
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "SlotSet" and node.args:
                slots |= _names(node.args[0], constants)
            for keyword in node.keywords:
                if keyword.arg and keyword.arg.endswith("_slot"):
                    slots |= _names(keyword.value, constants)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node in methods and node.name.startswith(("validate_", "extract_")):
                slots.add(node.name.split("_", 1)[1])
            if node.returns is not None and ast.unparse(node.returns) == "dict[str, Any]":
                slots |= _returned_keys(node, constants)
    return slots


def _all_constants() -> dict[str, Any]:
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in sorted(ACTIONS.glob("*.py"))]
    return _constants(trees)


def test_the_questions_are_the_forms_required_slots_in_domain_yml() -> None:
    for form in TICKET_FORMS:
        assert FORM_QUESTIONS[form] == tuple(DOMAIN["forms"][form]["required_slots"])


def test_every_slot_the_actions_set_is_declared_in_the_domain() -> None:
    constants = _all_constants()
    declared = set(DOMAIN["slots"]) | {"requested_slot"}  # the engine adds requested_slot
    for path in sorted(ACTIONS.glob("*.py")):
        assert sorted(slots_set_by(path, constants) - declared) == [], path.name
    assert set(ALL_FORM_SLOTS) <= declared


def test_a_form_ends_with_every_slot_its_code_set_emptied() -> None:
    # Another chat's next form must not find this one's photos or reading.
    constants = _all_constants()
    for form, module in FORM_MODULES.items():
        kept = slots_set_by(ACTIONS / module, constants) - {"requested_slot"}
        reset = {*FORM_SLOTS[form], SUBMISSION_SLOT, DRAFT_SLOT}
        assert sorted(kept - reset) == [], form


def test_the_reader_finds_what_the_feedback_form_sets() -> None:
    # The reader above must see the slots it is meant to check, not an empty set.
    found = slots_set_by(ACTIONS / "feedback.py", _all_constants())
    assert {
        "feedback_photos",  # SlotSet("feedback_photos", ...), {"feedback_photos": ...}
        "feedback_proposal",  # found["feedback_proposal"] = ...
        "feedback_duplicate_code",  # {"feedback_duplicate_code": ...} from _duplicate
        "feedback_add_photos",  # result.update({..., ADD_PHOTOS_SLOT: True})
        "feedback_village",  # validate_feedback_village
        "contact_phone",  # {s: None for s in CONTACT_SLOTS}
        "feedback_confirm",  # confirm_slot="feedback_confirm"
    } <= found
