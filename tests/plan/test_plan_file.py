"""Reading a plan file: whatever is in it, or wherever it points, one line and never a traceback."""

import json
from pathlib import Path

import pytest

from cutover.plan.model import MAX_PLAN_BYTES, PlanError, load_plan
from tests.plan.plans import EXAMPLE, GOOD


def problems_of(path: Path) -> list[str]:
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    assert all("\n" not in line for line in caught.value.problems), caught.value.problems
    return caught.value.problems


def written(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_a_yaml_key_given_twice_is_refused_with_its_line_and_column(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("  bake: 30m\n", "  bake: 30m\n  bake: 2h\n")
    line = text.splitlines().index("  bake: 2h") + 1
    assert problems_of(written(tmp_path, "plan.yaml", text)) == [
        f"line {line}, column 3: duplicate key 'bake'"
    ]


def test_duplicate_keys_in_flow_mappings_and_merged_keys(tmp_path: Path) -> None:
    flow = "name: a\nrollout: {timeout: 1m, timeout: 2m}\n"
    assert problems_of(written(tmp_path, "flow.yaml", flow)) == ["line 2, column 24: duplicate key 'timeout'"]
    merged = "base: &b {x: 1}\nother:\n  <<: *b\n  x: 2\n"  # a merge key overrides, it is no duplicate
    problems = problems_of(written(tmp_path, "merged.yaml", merged))
    assert "base: unknown field" in problems and not any("duplicate" in p for p in problems)


def test_yaml_syntax_errors_carry_line_and_column(tmp_path: Path) -> None:
    text = "name: a\nsource: {name: x\ntarget: y\n"
    assert problems_of(written(tmp_path, "plan.yaml", text)) == [
        "malformed yaml at line 3, column 7: expected ',' or '}', but got ':'"
    ]


def test_json_syntax_errors_carry_line_and_column(tmp_path: Path) -> None:
    text = '{"name": "a",\n  "services": [1, 2,, 3]}'
    assert problems_of(written(tmp_path, "plan.json", text)) == [
        "malformed json at line 2, column 21: Expecting value"
    ]


def test_a_json_key_given_twice_is_refused(tmp_path: Path) -> None:
    text = json.dumps(GOOD).replace('"bake": "30m"', '"bake": "30m", "bake": "2h"')
    assert problems_of(written(tmp_path, "plan.json", text)) == ["malformed json: duplicate key 'bake'"]


def test_a_json_plan_is_read(tmp_path: Path) -> None:
    assert load_plan(written(tmp_path, "plan.json", json.dumps(GOOD))).name == "shop-to-fargate"


def test_bytes_that_are_not_utf8_name_the_byte_and_its_offset(tmp_path: Path) -> None:
    raw = b"name: shop\nsource: \xff\n"
    assert problems_of(written(tmp_path, "plan.yaml", raw)) == [
        "file is not UTF-8 text (invalid byte 0xff at offset 19)"
    ]


def test_a_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    path = written(tmp_path, "plan.yaml", b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    assert load_plan(path).name == "shop-to-fargate"


def test_a_3_mib_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = written(tmp_path, "plan.yaml", b"#" * (3 * 1024 * 1024))
    assert problems_of(path) == ["plan: file is 3.0 MiB; a plan may be at most 512 KiB"]


def test_a_file_at_the_limit_is_parsed(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    path = written(tmp_path, "plan.yaml", text + "#" * (MAX_PLAN_BYTES - len(text.encode())))
    assert load_plan(path).name == "shop-to-fargate"
    path.write_text(text + "#" * (MAX_PLAN_BYTES - len(text.encode()) + 1))
    assert problems_of(path) == ["plan: file is 512.001 KiB; a plan may be at most 512 KiB"]


def test_a_directory_is_refused(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == ["is a directory, not a plan file"]


def test_a_path_no_file_can_have_is_refused(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "plan\x00.yaml") == ["cannot read file: embedded null byte"]
    assert problems_of(Path("/dev/null")) == ["is not a regular file"]


def test_an_unreadable_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = written(tmp_path, "plan.yaml", EXAMPLE.read_bytes())

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)  # chmod 000 stops no root user
    assert problems_of(path) == ["cannot read file: Permission denied"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("deep.yaml", "[" * 100_000, "malformed yaml: nested too deeply"),
        ("deep.json", "[" * 100_000, "malformed json: nested too deeply"),
        ("nul.yaml", "name: a\x00b\n", "malformed yaml: unacceptable character #x0000"),
        ("date.yaml", "name: 2026-13-45\n", "malformed yaml: month must be in 1..12"),
        (
            "docs.yaml",
            "name: a\n---\nname: b\n",
            "malformed yaml at line 2, column 1: but found another document",
        ),
        (
            "self.yaml",
            "a: &x {b: *x}\n",
            "malformed yaml at line 1, column 4: found unconstructable recursive node",
        ),
        ("digits.json", '{"name": ' + "9" * 5000 + "}", "malformed json: Exceeds the limit (4300 digits)"),
        ("empty.yaml", "", "plan: expected a mapping at the top level, got null"),
        ("list.yaml", "- a\n- b\n", "plan: expected a mapping at the top level, got a list"),
        ("python.yaml", "name: !!python/object:os.system x\n", "malformed yaml at line 1, column 7: "),
    ],
)
def test_hostile_files_give_one_line(tmp_path: Path, name: str, content: str, expected: str) -> None:
    problems = problems_of(written(tmp_path, name, content))
    assert len(problems) == 1 and problems[0].startswith(expected), problems
