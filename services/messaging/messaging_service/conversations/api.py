"""The request and response models of the conversation routes (the API contract's shapes)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from portal_common.parsing import Body, Out, Query

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
AttachmentId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
MAX_BODY = 128 * 1024  # above the 5,000-character rule, so a too-long text gets its own 422 with `loc`


def _distinct(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("an attachment is listed twice")
    return value


AttachmentIds = Annotated[list[AttachmentId], Field(max_length=10), AfterValidator(_distinct)]


class StartIn(Body):
    child_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    text: Text
    attachment_ids: AttachmentIds = Field(default_factory=list)


class MessageIn(Body):
    text: Text
    attachment_ids: AttachmentIds = Field(default_factory=list)


class ListQuery(Query):
    group_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=ID_PATTERN)
    unread: bool = False
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=2048)


class PageQuery(Query):
    limit: int = Field(default=30, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


class Named(Out):
    id: str
    name: str


class Person(Out):
    id: str
    name: str
    role: str = Field(description="parent, staff")


class LastMessage(Out):
    id: str
    text: str = Field(description="a preview (at most 120 characters)")
    sent_at: str
    sender: Person


class ConversationOut(Out):
    id: str
    child: Named
    group: Named
    location_id: str
    created_at: str
    message_count: int
    last_message: LastMessage
    unread_count: int = Field(description="the caller's unread messages here (0 for readers taking no part)")
    writable: bool | None = Field(default=None, description="may the caller write here now (single reads)")


class ConversationPage(Out):
    items: list[ConversationOut]
    next_cursor: str | None


class Reader(Out):
    id: str
    name: str
    read_at: str


class AttachmentOut(Out):
    id: str
    file_name: str
    content_type: str
    size: int


class MessageOut(Out):
    id: str
    conversation_id: str
    sender: Person
    text: str
    sent_at: str
    read_by: list[Reader] = Field(description="the other participants who have read up to this message")
    attachments: list[AttachmentOut]
    mine: bool


class MessagePage(Out):
    items: list[MessageOut]
    next_cursor: str | None
    child: Named
    group: Named


class UnreadOut(Out):
    total: int = Field(description="unread messages in all the caller's conversations")
    conversations: int = Field(description="conversations with unread messages")
