"""What the worker is asked to verify and what it answers: the activity's input and output (pure, so
the workflow names them)."""

from pydantic import BaseModel, Field


class SignatureCheck(BaseModel):
    """A decision's signed claim (its text, as signed), its signature and the principal it names."""

    claim: str = Field(max_length=8192)
    signature: str = Field(max_length=4096)
    principal: str = Field(max_length=100)


class SignatureVerdict(BaseModel):
    """ssh-keygen's answer: verified or not, why, and the key that signed (its SHA256 fingerprint)."""

    verified: bool
    reason: str
    key_fingerprint: str | None = None
