"""培考分离: nothing of the exam bank reaches training institutions, whatever they ask for.

Exam items in every state (active, draft, in review, retired, superseded versions, provincial, another
operation item), a blueprint and frozen papers drawn from them all carry a secret marker in their stems,
options, explanations, knowledge points and sources. Training-institution staff, anonymous visitors and
every kind of device then walk every route of the application — GET with telling query strings, POST
with a valid CSRF token and the exam items' version ids as drill answers — with every id the exam side
uses. The marker must never appear in a response body or header. The practice marker, on the other
hand, must appear on the practice pages: the walk really reaches the pages that read the bank.
"""
from __future__ import annotations

import contextlib
import itertools
import re
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from exam_center.db import read_only
from exam_center.models import BankItem, Blueprint, ItemVersion, Paper, Role
from exam_center.services import bank_items, papers
from exam_center.services.blueprints import parse_definition, save_blueprint
from question_bank.items import CognitiveLevel, ItemStatus, ItemType, Scope, Use, build_content

from conftest import SYSTEM, csrf_token, login

EXAM_MARKER = "EXAM-SECRET-7f3a"
PRACTICE_MARKER = "PRACTICE-OPEN-b41c"
HIDDEN_PRACTICE_MARKER = "PRACTICE-DRAFT-9d2e"  # practice items that are not active are not shown either

# Searches that would find the exam items if a query reached them; none contains a whole marker, so a
# page that merely echoes the query does not trip the check.
QUERIES = ("", "?q=EXAM-SECRET&item=1.2&use=exam&format=json&status=active&type=single&page=1",
           "?q=7f3a&item=1.1&use=practice&flagged=1&fmt=json", "?format=xlsx&use=exam")
STRING_VALUES = ("1.2", "1.1", "en")
BANKISH = re.compile(r"bank|blueprint|paper|question|version|statistic|export|import")


@dataclass
class Secrets:
    exam_item_ids: list[int] = field(default_factory=list)
    exam_version_ids: dict[str, list[int]] = field(default_factory=dict)   # operation item → version ids
    practice_version_ids: list[int] = field(default_factory=list)
    blueprint_ids: list[int] = field(default_factory=list)
    paper_ids: list[int] = field(default_factory=list)

    @property
    def all_exam_version_ids(self) -> list[int]:
        return [v for ids in self.exam_version_ids.values() for v in ids]

    def int_values(self) -> list[int]:
        return sorted({1, *self.exam_item_ids, *self.all_exam_version_ids, *self.blueprint_ids, *self.paper_ids})


def _content(marker: str, n: int, item_type: ItemType = ItemType.SINGLE, level=CognitiveLevel.MASTER):
    options = [] if item_type is ItemType.JUDGE else [f"{marker} 选项{letter}{n}" for letter in "ABCD"]
    answer = ("正确" if n % 2 else "错误") if item_type is ItemType.JUDGE else "ABCD"[n % 4]
    content, problems = build_content(type=item_type, stem=f"{marker} 第{n}题：保密题干", options=options, answer=answer,
                                      explanation=f"{marker} 解析{n}", knowledge_point=f"{marker}-{n}"[:40],
                                      cognitive_level=level, difficulty=n % 5 + 1, source=f"{marker} 出处")
    assert content is not None, problems
    return content


def _create(s, marker: str, n: int, *, use: Use, status: ItemStatus, operation_item: str = "1.2",
            item_type: ItemType = ItemType.SINGLE, scope: Scope = Scope.NATIONAL) -> ItemVersion:
    return bank_items.create_item(s, SYSTEM, operation_item=operation_item, scope=scope, use=use,
                                  province_code="44" if scope is Scope.PROVINCIAL else None,
                                  content=_content(marker, n, item_type), status=status)


@pytest.fixture
def secrets(db, world) -> Secrets:
    found = Secrets()
    with db.transaction() as s:
        n = itertools.count(1)
        for status in ItemStatus:
            for item_type in (ItemType.SINGLE, ItemType.JUDGE):
                _create(s, EXAM_MARKER, next(n), use=Use.EXAM, status=status, item_type=item_type)
        _create(s, EXAM_MARKER, next(n), use=Use.EXAM, status=ItemStatus.ACTIVE, scope=Scope.PROVINCIAL)
        _create(s, EXAM_MARKER, next(n), use=Use.EXAM, status=ItemStatus.ACTIVE, operation_item="1.1")
        _create(s, EXAM_MARKER, next(n), use=Use.EXAM, status=ItemStatus.ACTIVE, operation_item="1.1",
                item_type=ItemType.JUDGE)
        # An active item with a newer draft version, and one whose first version was superseded.
        edited = _create(s, EXAM_MARKER, next(n), use=Use.EXAM, status=ItemStatus.ACTIVE).item_id
        bank_items.edit_item(s, SYSTEM, edited, _content(EXAM_MARKER, next(n)))
        superseded = _create(s, EXAM_MARKER, next(n), use=Use.EXAM, status=ItemStatus.ACTIVE).item_id
        newer = bank_items.edit_item(s, SYSTEM, superseded, _content(EXAM_MARKER, next(n)))
        s.flush()
        for version in s.scalars(sa.select(ItemVersion).where(ItemVersion.item_id == superseded)):
            version.status = ItemStatus.RETIRED if version.id != newer.id else ItemStatus.ACTIVE

        for status in ItemStatus:
            marker = PRACTICE_MARKER if status is ItemStatus.ACTIVE else HIDDEN_PRACTICE_MARKER
            for _ in range(3 if status is ItemStatus.ACTIVE else 1):
                _create(s, marker, next(n), use=Use.PRACTICE, status=status, item_type=ItemType.SINGLE)
        _create(s, PRACTICE_MARKER, next(n), use=Use.PRACTICE, status=ItemStatus.ACTIVE, item_type=ItemType.JUDGE)

        definition = parse_definition({
            "operation_item": "1.2", "name": EXAM_MARKER, "duration_minutes": 60, "pass_mark": 2,
            "sections": [{"type": "judge", "count": 1, "points": 1}, {"type": "single", "count": 2, "points": 1}]})
        blueprint = save_blueprint(s, SYSTEM, operation_item="1.2", name=f"{EXAM_MARKER} 组卷", definition=definition)
        drawn = papers.draw_papers(s, SYSTEM, blueprint.id, seeds=[1, 2, 3])
        s.flush()
        found.blueprint_ids = [blueprint.id]
        found.paper_ids = [p.id for p in drawn]
        assert all(EXAM_MARKER in str(p.snapshot) for p in drawn)

        for item in s.scalars(sa.select(BankItem)):
            ids = [v.id for v in item.versions]
            if item.use is Use.EXAM:
                found.exam_item_ids.append(item.id)
                found.exam_version_ids.setdefault(item.operation_item_code, []).extend(ids)
            elif all(v.status is ItemStatus.ACTIVE for v in item.versions):
                found.practice_version_ids.extend(ids)
    return found


@contextlib.contextmanager
def reading(db):
    with read_only(), db.sessions() as session:
        yield session


# --- the walk -----------------------------------------------------------------------------------------


def assert_no_exam_marker(response, where) -> None:
    body = response.get_data()
    assert EXAM_MARKER.encode() not in body, (where, response.status_code)
    for name, value in response.headers.items():
        assert EXAM_MARKER not in value and EXAM_MARKER not in name, (where, name)


def concrete_paths(rule, int_values, string_values) -> list[str]:
    names = list(rule.arguments)
    choices = [int_values if isinstance(rule._converters[name], IntegerConverter) else string_values
               for name in names]
    return [rule.build(dict(zip(names, combo)), append_unknown=False)[1] for combo in itertools.product(*choices)]


def drill_answers(version_ids) -> dict:
    data = {"items": [str(v) for v in version_ids]}
    data.update({f"q{v}": ["0", "1"] for v in version_ids})
    return data


def walk(app, client, secrets: Secrets, *, headers=None, csrf: str | None = None, int_values=None,
         queries=QUERIES, skip=frozenset()) -> dict[tuple[str, str, str], int]:
    """Call every route with every value; return (endpoint, method, url) → status."""
    statuses = {}
    form = {"csrf_token": csrf or "", "decision": "approve", "note": "x", "operation_item": "1.2", "format": "json",
            "seed": "1", "reason": "x", "stem": "x", **drill_answers(secrets.all_exam_version_ids)}
    for rule in app.url_map.iter_rules():
        for path in concrete_paths(rule, int_values or secrets.int_values(), STRING_VALUES):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if (rule.endpoint, method) in skip:
                    continue
                if method == "GET":
                    for query in queries:
                        response = client.get(path + query, headers=headers)
                        assert_no_exam_marker(response, (rule.endpoint, method, path + query))
                        statuses[(rule.endpoint, method, path + query)] = response.status_code
                else:
                    response = client.open(path, method=method, data=form, headers=headers)
                    assert_no_exam_marker(response, (rule.endpoint, method, path))
                    statuses[(rule.endpoint, method, path)] = response.status_code
    return statuses


def staff_client(app, world):
    client = app.test_client()
    assert login(client, world.usernames[Role.INSTITUTION_STAFF]).status_code == 302
    return client


def test_institution_staff_never_see_exam_items(app, db, world, secrets):
    client = staff_client(app, world)
    token = csrf_token(client, "/practice/1.2/drill")
    statuses = walk(app, client, secrets, csrf=token, skip={("auth.logout", "POST")})
    assert len(statuses) > 500  # the walk really covered the map with every id

    server_errors = {key: status for key, status in statuses.items() if status >= 500}
    assert server_errors == {}
    bankish = {key: status for key, status in statuses.items()
               if key[2].startswith("/bank/") or (key[2].startswith("/api/") and BANKISH.search(key[2]))}
    assert bankish and set(bankish.values()) == {403}, {k: v for k, v in bankish.items() if v != 403}
    reached = {key[0] for key, status in statuses.items() if status == 200}
    assert {"practice.index", "practice.browse", "practice.drill"} <= reached

    # Still signed in as the same person after the walk: the practice pages show practice items.
    page = client.get("/practice/1.2")
    assert page.status_code == 200 and PRACTICE_MARKER in page.get_data(as_text=True)
    assert_no_exam_marker(client.post("/logout", data={"csrf_token": token}), "logout")


def test_practice_pages_show_practice_items_only(app, db, world, secrets):
    client = staff_client(app, world)
    index = client.get("/practice/")
    assert index.status_code == 200
    assert re.search(r'href="/practice/1\.2">1\.2 [^<]+</a></td><td>4</td>', index.get_data(as_text=True)), \
        "the count of 1.2 is its four active practice items"
    assert 'href="/practice/1.1"' not in index.get_data(as_text=True)  # 1.1 has exam items only

    browse = client.get("/practice/1.2").get_data(as_text=True)
    assert browse.count(f"{PRACTICE_MARKER} 第") == 4
    assert f"{PRACTICE_MARKER} 解析" in browse
    assert HIDDEN_PRACTICE_MARKER not in browse and EXAM_MARKER not in browse
    found = client.get("/practice/1.2?q=PRACTICE-OPEN").get_data(as_text=True)
    assert found.count(f"{PRACTICE_MARKER} 第") == 4
    assert PRACTICE_MARKER not in client.get("/practice/1.2?q=EXAM-SECRET").get_data(as_text=True).replace(
        'value="EXAM-SECRET"', "")

    drill = client.get("/practice/1.2/drill").get_data(as_text=True)
    shown = {int(v) for v in re.findall(r'<input type="hidden" name="items" value="(\d+)">', drill)}
    assert shown == set(secrets.practice_version_ids)
    assert EXAM_MARKER not in drill and HIDDEN_PRACTICE_MARKER not in drill
    assert client.get("/practice/1.1/drill").status_code == 200
    assert client.get("/practice/99.9").status_code == 404


def test_drill_with_exam_item_ids_marks_nothing(app, db, world, secrets):
    client = staff_client(app, world)
    token = csrf_token(client, "/practice/1.2/drill")
    for code, version_ids in secrets.exam_version_ids.items():
        response = client.post(f"/practice/{code}/drill", data={"csrf_token": token, **drill_answers(version_ids)})
        assert response.status_code == 200
        assert_no_exam_marker(response, code)
        body = response.get_data(as_text=True)
        assert 'id="score"' in body and '<li class="right">' not in body and '<li class="wrong">' not in body

    # Exam and practice ids mixed: only the practice items are marked.
    mixed = drill_answers(secrets.all_exam_version_ids + secrets.practice_version_ids)
    response = client.post("/practice/1.2/drill", data={"csrf_token": token, **mixed})
    assert_no_exam_marker(response, "mixed")
    body = response.get_data(as_text=True)
    marked = re.findall(r'<li class="(?:right|wrong)">', body)
    assert len(marked) == len(secrets.practice_version_ids)
    assert f"{PRACTICE_MARKER} 解析" in body

    # Without the CSRF token nothing is marked: the drill is shown afresh.
    refused = client.post("/practice/1.2/drill", data=mixed)
    assert_no_exam_marker(refused, "no csrf")
    assert 'id="score"' not in refused.get_data(as_text=True)


def test_anonymous_visitors_never_see_exam_items(app, db, secrets):
    client = app.test_client()
    values = [1, secrets.exam_item_ids[0], secrets.all_exam_version_ids[-1], secrets.blueprint_ids[0],
              secrets.paper_ids[0]]
    statuses = walk(app, client, secrets, int_values=values, queries=QUERIES[:2])
    assert {status for key, status in statuses.items() if key[2].startswith(("/bank/", "/practice/"))} <= {302}
    assert all(status < 500 for status in statuses.values())


@pytest.mark.parametrize("kind_index", range(4))
def test_devices_never_see_exam_items(app, db, world, secrets, kind_index):
    kind, token = list(world.device_tokens.items())[kind_index]
    client = app.test_client()
    values = [1, secrets.exam_item_ids[0], secrets.all_exam_version_ids[-1], secrets.blueprint_ids[0]]
    statuses = walk(app, client, secrets, headers={"Authorization": f"Bearer {token}"}, int_values=values,
                    queries=QUERIES[:2])
    assert all(status < 500 for status in statuses.values())
    assert any(key[2].startswith("/api/v1/catalogue/") for key, status in statuses.items() if status == 200), kind
    # A device token opens no staff page, the bank and the practice bank included.
    assert {status for key, status in statuses.items() if key[2].startswith(("/bank/", "/practice/"))} <= {302}


def test_exam_marker_is_really_in_the_database(db, secrets):
    """The negative checks above mean something only if the marker is where a leak would come from."""
    with reading(db) as s:
        stems = list(s.scalars(sa.select(ItemVersion.stem).join(BankItem).where(BankItem.use == Use.EXAM)))
        statuses = set(s.scalars(sa.select(ItemVersion.status).join(BankItem).where(BankItem.use == Use.EXAM)))
        snapshots = [str(p) for p in s.scalars(sa.select(Paper.snapshot))]
        blueprint_names = list(s.scalars(sa.select(Blueprint.name)))
    assert stems and all(EXAM_MARKER in stem for stem in stems)
    assert statuses == set(ItemStatus)
    assert snapshots and all(EXAM_MARKER in snapshot for snapshot in snapshots)
    assert all(EXAM_MARKER in name for name in blueprint_names)
