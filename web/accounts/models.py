"""A user's role and territory: the :class:`Profile` beside Django's ``auth.User``.

What each role may see is decided in one place, :mod:`web.accounts.access`; this module
only stores the facts it reads.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from web.audit.actions import register_actions
from web.regions.models import Establishment, Gmf, Physician, Region, Rls


@register_actions
class AccountAction(models.TextChoices):
    """What the accounts record in the audit trail (:mod:`web.audit`)."""

    SIGNATORY_EDITED = "signatory_edited", _("Signatory edited")


class Role(models.TextChoices):
    DRMG = "drmg", _("DRMG")
    CML = "cml", _("Local medical coordinator (CML)")
    GMF_MANAGER = "gmf_manager", _("GMF manager")
    CIUSSS_MANAGER = "ciusss_manager", _("CISSS/CIUSSS manager")
    PHYSICIAN = "physician", _("Family physician")
    QI_COACH = "qi_coach", _("Quality improvement coach")
    GUICHET_AGENT = "guichet_agent", _("Administrative agent of the guichet (GAMF)")


class Profile(models.Model):
    """The role of a user and the territory it applies to.

    Every role belongs to a region. Besides, a CML has one or more RLS, a GMF manager one
    GMF, and a physician user is one :class:`~web.regions.models.Physician`. A user
    without a profile (e.g. the regional system administrator, a superuser) sees no
    territory page.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    region = models.ForeignKey(
        Region, models.PROTECT, related_name="profiles", verbose_name=_("region")
    )
    rls = models.ManyToManyField(
        Rls,
        blank=True,
        related_name="profiles",
        verbose_name=_("RLS"),
        help_text=_("For a local medical coordinator: the RLS they coordinate."),
    )
    gmf = models.ForeignKey(
        Gmf,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="profiles",
        verbose_name=_("GMF"),
        help_text=_("For a GMF manager: the GMF they manage."),
    )
    establishment = models.ForeignKey(
        Establishment,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="profiles",
        verbose_name=_("establishment (CISSS/CIUSSS)"),
        help_text=_("For a CISSS/CIUSSS manager: their establishment."),
    )
    physician = models.OneToOneField(
        Physician,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="profile",
        verbose_name=_("physician"),
        help_text=_("For a physician: the physician record this user is."),
    )

    # How the person signs the letters of the attribution (a CML, the DRMG's chief):
    # edited on their profile page (web.accounts.views.profile) and in the admin.
    signatory_name = models.CharField(
        _("name as signed"),
        max_length=120,
        blank=True,
        help_text=_("The name printed under the signature, e.g. Dre Josée Gagnon."),
    )
    signatory_title = models.CharField(
        _("title"),
        max_length=200,
        blank=True,
        help_text=_("The title printed under the name, e.g. Chef du DRMG."),
    )
    signature_block = models.TextField(
        _("signature block"),
        blank=True,
        help_text=_("Lines printed under the title (service, address, telephone), one per line."),
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def signs_as(self) -> str:
        """The name the letters print for this person: the name as signed, else the
        user's full name; empty when neither is known (a login is not a name)."""
        return self.signatory_name.strip() or self.user.get_full_name().strip()
