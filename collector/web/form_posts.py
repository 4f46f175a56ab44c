"""What a posted page form arrives as: text fields, and the public forms' common fields.

A route takes single fields as ``FormText`` parameters, or a whole public form as a
:class:`PublicForm` subclass (``Annotated[MyForm, Form()]``): FastAPI reads each field of the
model from the posted form, a missing or empty one as ``""``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form
from pydantic import BaseModel

FormText = Annotated[str, Form()]


class PublicForm(BaseModel):
    """A form anyone may post: the CSRF token (double submit) and the ``website`` honeypot
    (hidden from people; a bot that fills it is caught); subclasses add the form's own fields."""

    csrf_token: str = ""
    website: str = ""

    def values(self, *, honeypot: bool) -> dict[str, str]:
        """The fields to check and show again (never the CSRF token; the honeypot on request)."""
        leave_out = {"csrf_token"} if honeypot else {"csrf_token", "website"}
        return self.model_dump(exclude=leave_out)
