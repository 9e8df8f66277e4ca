"""The forms of the activities: a step's form, built from its fields
(:class:`web.quality.activities.Field`), and the QI Survey editor's rows. Input shape
only; the rules across fields are :func:`web.quality.activities.check_step`'s and
:func:`~web.quality.activities.check_questions`'s, applied by the services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from web.quality.activities import MAX_LINE, MAX_TEXT, SCALE, Field

__all__ = [
    "StepForm",
    "SurveyQuestionForm",
    "SurveyQuestionFormSet",
    "questions_of",
    "survey_initial",
]

_YES_NO = (("yes", _("Yes")), ("no", _("No")))


def _form_field(field: Field) -> forms.Field:
    common: dict[str, Any] = {
        "label": field.label,
        "required": field.required,
        "help_text": field.help,
    }
    if field.kind == "text":
        return forms.CharField(max_length=MAX_LINE, **common)
    if field.kind == "textarea":
        return forms.CharField(
            max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4}), **common
        )
    if field.kind == "int":
        return forms.IntegerField(
            min_value=int(field.minimum),
            max_value=int(field.maximum) if field.maximum is not None else None,
            **common,
        )
    if field.kind == "number":
        return forms.FloatField(min_value=field.minimum, max_value=field.maximum, **common)
    if field.kind == "yes_no":
        return forms.TypedChoiceField(
            choices=_YES_NO,
            coerce=lambda answer: answer == "yes",
            empty_value=None,
            widget=forms.RadioSelect,
            **common,
        )
    if field.kind == "scale":
        low, high = SCALE
        return forms.TypedChoiceField(
            choices=[(str(point), str(point)) for point in range(low, high + 1)],
            coerce=int,
            empty_value=None,
            widget=forms.RadioSelect,
            **common,
        )
    if field.kind == "choice":
        return forms.ChoiceField(choices=field.choices, widget=forms.RadioSelect, **common)
    if field.kind == "multi":
        return forms.MultipleChoiceField(
            choices=field.choices, widget=forms.CheckboxSelectMultiple, **common
        )
    raise ValueError(f"unknown field kind {field.kind!r}")


class StepForm(forms.Form):
    """The form of a step: one form field per field asked, in order; its
    :meth:`values` are the answers to save (JSON: text, numbers, booleans, codes)."""

    def __init__(
        self,
        fields: Sequence[Field],
        data: Mapping[str, Any] | None = None,
        *,
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        # A saved yes/no is a boolean; the radio buttons read "yes" or "no".
        kinds = {field.key: field.kind for field in fields}
        shown = {
            key: (("yes" if value else "no") if kinds.get(key) == "yes_no" else value)
            for key, value in (initial or {}).items()
            if value is not None
        }
        super().__init__(data, initial=shown)
        for field in fields:
            self.fields[field.key] = _form_field(field)

    def values(self) -> dict[str, Any]:
        """The cleaned answers (call after :meth:`is_valid`)."""
        return dict(self.cleaned_data)


# -- the QI Survey editor ------------------------------------------------------------------

SURVEY_KIND_CHOICES = (
    ("text", _("Free text")),
    ("choice", _("One choice among several")),
    ("scale", _("Scale from 1 to 5")),
)


class SurveyQuestionForm(forms.Form):
    """A question of the QI Survey: its key (kept in the answers), its text, its kind and,
    for a choice, its choices one per line."""

    key = forms.CharField(
        label=_("Key"),
        max_length=40,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9_]*$",
                _("Lowercase letters, digits and underscores, starting with a letter."),
            )
        ],
        help_text=_("Kept with the answers; not shown to the physicians."),
    )
    text = forms.CharField(
        label=_("Question"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Its initial value is the one a new row's list shows, so a new row left as it is
    # reads as unchanged (and is dropped), not as a question without its text.
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=SURVEY_KIND_CHOICES, initial="text")
    choices = forms.CharField(
        label=_("Choices (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


SurveyQuestionFormSet = forms.formset_factory(SurveyQuestionForm, extra=2, can_delete=True)


def questions_of(formset: Any) -> list[dict[str, Any]]:
    """The questions of a valid editor ``formset``, in order: the rows left empty and
    those marked for removal are dropped."""
    questions = []
    for form in formset.forms:
        # An extra row left empty is not cleaned (its cleaned_data is empty).
        if not form.cleaned_data or form.cleaned_data.get("DELETE"):
            continue
        data = form.cleaned_data
        questions.append(
            {
                "key": data["key"],
                "text": data["text"],
                "kind": data["kind"],
                "choices": [line.strip() for line in data["choices"].splitlines() if line.strip()],
            }
        )
    return questions


def survey_initial(questions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The editor's rows of the ``questions`` in force."""
    return [
        {
            "key": question["key"],
            "text": question["text"],
            "kind": question["kind"],
            "choices": "\n".join(str(choice) for choice in question.get("choices") or ()),
        }
        for question in questions
    ]
