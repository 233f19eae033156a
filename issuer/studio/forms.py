"""The Studio's forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    AnyOf,
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

PRIVATE_HINT = (
    "Private badges are not shown in the overview of achievable badges and can only be "
    "awarded manually. Once awarded, others can see them on the person's profile and in the feed."
)
IMAGE_HINT = (
    "PNG or SVG. A small square image works best, ideally 150x150 pixels (at most {limit})."
)


class BadgeForm(FlaskForm):  # type: ignore[misc]
    """Create or edit a badge."""

    issuer = SelectField("Issuer", validators=[DataRequired()])
    name = StringField("Name", validators=[DataRequired(), Length(max=500)])
    description = TextAreaField("Description", validators=[DataRequired(), Length(max=20000)])
    criteria = TextAreaField("Criteria", validators=[Length(max=20000)])
    criteria_url = URLField("Criteria page", validators=[Optional(), URL(), Length(max=2048)])
    image = FileField("Image")
    private = BooleanField("Private")
    post_to_feed = BooleanField("Post awards to the feed", default=True)
    tags = StringField("Tags", validators=[Optional(), Length(max=2000)])
    expires_after_days = IntegerField(
        "Default validity (days)", validators=[Optional(), NumberRange(min=1, max=36500)]
    )
    submit = SubmitField("Create badge")

    def validate_criteria(self, field: TextAreaField) -> None:
        """A badge needs criteria: a text, a page, or both."""
        if not (field.data or "").strip() and not self.criteria_url.data:
            raise ValidationError("Say what earns the badge, or give the URL of a page that does.")


class IssuerForm(FlaskForm):  # type: ignore[misc]
    """Create an issuer."""

    name = StringField("Name", validators=[DataRequired(), Length(max=500)])
    url = URLField("Website", validators=[DataRequired(), URL(), Length(max=2048)])
    email = EmailField("Contact email", validators=[DataRequired(), Email(), Length(max=320)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    image = FileField("Image")
    submit = SubmitField("Create issuer")


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """A list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class AwardForm(FlaskForm):  # type: ignore[misc]
    """Award one or more badges to one person."""

    badges = MultiCheckboxField("Badges", validators=[DataRequired("Choose at least one badge.")])
    narrative = TextAreaField("Narrative", validators=[Optional(), Length(max=20000)])
    evidence_url = URLField("Evidence URL", validators=[Optional(), URL(), Length(max=2048)])
    notify = BooleanField("Notify the person (in the platform and by e-mail)", default=True)
    post_to_feed = BooleanField("Post to the feed", default=True)
    submit = SubmitField("Award")


class InviteForm(FlaskForm):  # type: ignore[misc]
    """Invite person: who, and whether they run the site or learn on it."""

    name = StringField("Name", validators=[DataRequired(), Length(max=500)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("learner", "Learner"),
            SelectChoice("admin", "Admin (runs the Studio)"),
        ],
        default="learner",
    )
    submit = SubmitField("Send invitation")


class AccountActionForm(FlaskForm):  # type: ignore[misc]
    """One action on someone's account, from their profile (a button each)."""

    action = HiddenField(
        validators=[AnyOf(["admin", "learner", "deactivate", "reactivate", "password"])]
    )


class RevokeForm(FlaskForm):  # type: ignore[misc]
    """Revoke an award, with the reason the learner and verifiers will see."""

    reason = TextAreaField(
        "Reason",
        validators=[
            DataRequired(message="Say why: the learner and every verifier will read it."),
            Length(max=2000),
        ],
    )
    submit = SubmitField("Revoke award")


class SettingsForm(FlaskForm):  # type: ignore[misc]
    """Site-wide settings."""

    feed_enabled = BooleanField("Post awards to the feed")
    submit = SubmitField("Save settings")


class StageForm(Form):  # type: ignore[misc]
    """One row of a course's stages; a stage that exists already carries its id."""

    id = HiddenField()
    name = StringField("Name", validators=[Length(max=500)])
    # Any value goes through: the course service says why a badge cannot be attached.
    badge = SelectField("Badge", validate_choice=False)

    def validate_name(self, field: StringField) -> None:
        """A new row with a badge but no name is a mistake, not a blank row."""
        if not (field.data or "").strip() and self.badge.data and not self.id.data:
            raise ValidationError("Name this stage, or choose no badge.")


class CourseForm(FlaskForm):  # type: ignore[misc]
    """Create or edit a course and its ordered stages; rows without a name are left out."""

    name = StringField("Name", validators=[DataRequired(), Length(max=500)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    completion_badge = SelectField("Badge for completing the course", validate_choice=False)
    stages = FieldList(FormField(StageForm))
    submit = SubmitField("Create course")


class CompletionForm(FlaskForm):  # type: ignore[misc]
    """Mark a stage of a course complete for one learner."""

    email = EmailField("Learner's email", validators=[DataRequired(), Length(max=320)])
    stage = SelectField("Stage", validators=[DataRequired()])
    completed_on = DateField("Completed on", validators=[Optional()])
    submit = SubmitField("Mark complete")


class CsvUploadForm(FlaskForm):  # type: ignore[misc]
    """Choose the CSV file of recipients."""

    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
    submit = SubmitField("Check the file")


class CsvConfirmForm(FlaskForm):  # type: ignore[misc]
    """Award the checked file."""

    notify = BooleanField("Notify the recipients (in the platform and by e-mail)", default=True)
    post_to_feed = BooleanField("Post to the feed", default=True)
    submit = SubmitField("Award")
