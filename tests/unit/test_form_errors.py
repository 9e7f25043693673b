"""Problems with a form, worded under the fields Slack can show them under."""

from __future__ import annotations

from okrbot.domain.okr import FieldError
from okrbot.i18n import translator
from okrbot.slack.form_errors import ERROR_MAX, field_errors, sorry

WORDS = translator("en")


def test_each_problem_goes_under_its_field() -> None:
    errors = [FieldError("a", "common.sorry"), FieldError("b", "form.gone_close")]
    assert field_errors(errors, ["a", "b"], WORDS) == {
        "a": WORDS("common.sorry"),
        "b": WORDS("form.gone_close"),
    }


def test_a_problem_without_its_field_goes_under_the_first_or_the_fallback_joined() -> None:
    errors = [FieldError("gone", "common.sorry"), FieldError("a", "form.gone_close")]
    joined = f"{WORDS('common.sorry')} {WORDS('form.gone_close')}"
    assert field_errors(errors, ["a", "b"], WORDS) == {"a": joined}
    assert field_errors(errors, ["a", "b"], WORDS, "b") == {
        "b": WORDS("common.sorry"),
        "a": WORDS("form.gone_close"),
    }


def test_a_view_without_fields_shows_nothing_and_long_text_is_cut() -> None:
    assert field_errors([FieldError("a", "common.sorry")], [], WORDS) == {}
    many = [FieldError("gone", "common.sorry")] * 1000
    assert len(field_errors(many, ["a"], WORDS)["a"]) == ERROR_MAX
    assert sorry(["a", "b"], WORDS) == {"a": WORDS("common.sorry")}
    assert sorry([], WORDS) == {}
