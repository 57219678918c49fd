"""Conversations with the group staff: `/messaging/conversations…` and `GET /messaging/unread`.

Every route answers 404 for a conversation the caller has no part in (another family's, another
group's, another tenant's, or one of a child whose guardian's access has ended), the same as for one
that does not exist. Writing in the conversation of a child's former group: 422 `not_current_group`
(the conversation stays readable as history; a new message goes to the current group's conversation).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from messaging_service import attachments, conversations, directory_copy, guardian_removal
from messaging_service.conversations import Caller
from messaging_service.store import ConversationItem, MessageItem, UnreadItem
from portal_common import errors, i18n, store
from portal_common.authz import Role, Target
from portal_common.outbox import Outbox
from portal_common.parsing import Body, Out, Query
from portal_common.service import PortalApp, Req, json_response

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
AttachmentId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
MAX_BODY = 128 * 1024  # above the 5,000-character rule, so a too-long text gets its own 422 with `loc`

i18n.register({f"messaging.{code}": {"nl": nl, "en": en} for code, nl, en in (
    ("not_current_group", "Uw kind zit niet meer in deze groep: stuur een nieuw bericht aan de huidige groep.",
     "The child is no longer in this group: send a new message to the current group."),
    ("not_placed", "Dit kind zit nu niet in een groep.", "This child is not in a group now."),
    ("group_id_required", "Kies een groep.", "Choose a group."),
    ("conversation_busy", "Probeer het zo nog eens.", "Please try again in a moment."),
    ("too_many_participants", "Dit gesprek heeft te veel deelnemers.", "This conversation has too many participants."),
)})


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


def _refuse(problem: errors.Problem) -> errors.Problem:
    problem.detail_key = f"messaging.{problem.code}" if i18n.has(f"messaging.{problem.code}") else None
    return problem


def conversation_out(tenant: str, conv: ConversationItem, *, names: dict[str, str], groups: dict[str, Any],
                     unread: int, lang: str, writable: bool | None = None) -> ConversationOut:
    group = groups.get(conv.group_id)
    last = conv.last_message
    sender = last["sender"]
    return ConversationOut(id=conv.conversation_id, child=Named(id=conv.child_id, name=names.get(conv.child_id, "")),
                           group=Named(id=conv.group_id, name=group.name if group else ""),
                           location_id=conv.location_id, created_at=conv.created_at,
                           message_count=int(conv.message_count or 0),
                           last_message=LastMessage(id=last["id"], text=last["text"], sent_at=last["sent_at"],
                                                    sender=Person(id=sender["id"], role=sender["role"], name=(
                                                        guardian_removal.shown_name(sender["name"],
                                                                                    sender.get("removed"), lang)))),
                           unread_count=unread, writable=writable)


def message_out(msg: MessageItem, markers: list[Any], user_id: str, lang: str) -> MessageOut:
    ulid = msg.sk.removeprefix("MSG#")
    readers = [Reader(id=m.user_id, name=m.name, read_at=m.read_at) for m in markers
               if m.user_id != msg.sender_id and m.message_id >= ulid]
    return MessageOut(id=msg.message_id, conversation_id=msg.conversation_id,
                      sender=Person(id=msg.sender_id, role=msg.sender_role,
                                    name=guardian_removal.shown_name(msg.sender_name, msg.sender_removed, lang)),
                      text=msg.text,
                      sent_at=msg.sent_at, read_by=readers, attachments=[AttachmentOut(**a) for a in msg.attachments],
                      mine=msg.sender_id == user_id)


def _conversation(req: Req, conversation_id: str) -> tuple[ConversationItem, Caller]:
    """The conversation and what the caller is in it; 404 for anyone without a part."""
    tenant = req.principal.tenant
    conv = conversations.get(tenant, conversation_id)
    if conv is None:
        raise errors.NotFound()
    req.authorize(conversations.target(tenant, conv))
    caller = conversations.caller_for(req.principal, conv.child_id, conv.group_id, conv.location_id)
    if caller is None:
        raise errors.NotFound()
    return conv, caller


def _single(req: Req, conv: ConversationItem, caller: Caller) -> ConversationOut:
    tenant = req.principal.tenant
    name = directory_copy.child_name(tenant, conv.child_id) or ""
    group = directory_copy.group(tenant, conv.group_id)
    unread = conversations.counter(tenant, caller.user_id, conv.conversation_id) if caller.participant else 0
    writable = caller.participant and directory_copy.current_group(tenant, conv.child_id) == conv.group_id
    return conversation_out(tenant, conv, names={conv.child_id: name}, groups={conv.group_id: group} if group else {},
                            unread=unread, lang=req.lang, writable=writable)


# -- the inbox: one Query per child or group, merged newest first ------------------------------------
def _query(index: Any, sort_key: Any, hash_key: str, prefix: str, before: str | None, limit: int) -> list[Any]:
    """(position, row) newest first from one partition of an index; position = `<ulid>#<conv>`."""
    if before is None:
        condition = sort_key.startswith(prefix) if prefix else None
    else:
        condition = sort_key.between(prefix, prefix + before) if prefix else sort_key < before
    rows = index.query(hash_key, condition, scan_index_forward=False, limit=limit + 2)
    found = [(str(getattr(row, sort_key.attr_name))[len(prefix):], row) for row in rows]
    return [(position, row) for position, row in found if position != before]


def _merge(found: list[tuple[str, Any]], limit: int) -> tuple[list[Any], str | None]:
    found.sort(key=lambda pair: pair[0], reverse=True)
    page = found[:limit]
    return [row for _, row in page], (page[-1][0] if len(found) > limit else None)


def _inbox(tenant: str, user_id: str, scopes: list[tuple[str, str]], unread_only: bool, before: str | None,
           limit: int) -> tuple[list[ConversationItem], str | None]:
    """`scopes`: ("G", group) or ("C", child) sources. Unread only: the caller's own unread index."""
    found: list[tuple[str, Any]] = []
    for kind, value in scopes:
        if unread_only:
            found += _query(UnreadItem.gsi1, UnreadItem.gsi1sk, store.key(tenant, "UNREADIN", user_id),
                            f"{kind}#{value}#", before, limit)
        elif kind == "G":
            found += _query(ConversationItem.gsi1, ConversationItem.gsi1sk, store.key(tenant, "INBOX", value), "",
                            before, limit)
        else:
            found += _query(ConversationItem.gsi2, ConversationItem.gsi2sk, store.key(tenant, "CHILDCONV", value), "",
                            before, limit)
    rows, next_position = _merge(found, limit)
    if not unread_only:
        return rows, next_position
    keys = [(store.key(tenant, "CONV", r.conversation_id), "CONV") for r in rows]
    by_id = {c.conversation_id: c for c in ConversationItem.batch_get(keys)} if keys else {}
    return [by_id[r.conversation_id] for r in rows if r.conversation_id in by_id], next_position


def _scopes(req: Req, query: ListQuery) -> list[tuple[str, str]]:
    """Whose conversations the caller lists: a parent's children, a staff member's groups, one group."""
    principal, tenant = req.principal, req.principal.tenant
    staff_groups: set[str] = set()
    if principal.role is Role.STAFF:
        row = directory_copy.staff_groups(tenant, principal.user_id)
        staff_groups = set(row.group_ids) & principal.groups if row else set()
    if query.group_id:
        group = directory_copy.group(tenant, query.group_id)
        req.authorize(Target.group(tenant, query.group_id, group.location_id if group else None),
                      action="group.conversations.read")
        if group is None or (principal.role is Role.STAFF and query.group_id not in staff_groups):
            raise errors.NotFound()
        return [("G", query.group_id)]
    req.authorize()
    if principal.role is Role.PARENT:
        families = directory_copy.families_of(tenant, principal.children)
        return [("C", child) for child, guardians in sorted(families.items()) if principal.user_id in guardians]
    if principal.role is Role.STAFF:
        return [("G", group_id) for group_id in sorted(staff_groups)]
    raise _refuse(errors.Unprocessable(code="group_id_required", errors=[
        {"loc": ["query", "group_id"], "msg": "managers and admins choose a group"}]))


def register(app: PortalApp) -> None:
    outbox: Outbox = app.outbox
    claim = attachments.claim

    @app.endpoint("/conversations", "GET", action="conversations.list", query=ListQuery, response=ConversationPage,
                  summary="A parent's conversations about their children; staff: their groups' inbox (newest "
                          "activity first, `unread=true` for those with unread messages)")
    def list_conversations(req: Req) -> dict[str, Any]:
        principal, query = req.principal, req.query
        tenant = principal.tenant
        scopes = _scopes(req, query)
        position = req.page_position(query.cursor)
        filters = {"g": query.group_id or "", "u": query.unread}
        if position and {k: position.get(k) for k in filters} != filters:
            raise errors.BadRequest(code="cursor_of_another_list")
        counted = principal.role in (Role.PARENT, Role.STAFF)  # readers who take no part have no counters
        if query.unread and not counted:
            return req.page_body([], None)
        convs, next_position = _inbox(tenant, principal.user_id, scopes, query.unread,
                                      position["before"] if position else None, query.limit)
        names = directory_copy.child_names(tenant, {c.child_id for c in convs})
        groups = directory_copy.groups(tenant, {c.group_id for c in convs})
        unread = conversations.counters_of(tenant, principal.user_id, [c.conversation_id for c in convs]) if (
            counted) else {}
        items = [conversation_out(tenant, c, names=names, groups=groups, unread=unread.get(c.conversation_id, 0),
                                  lang=req.lang) for c in convs]
        return req.page_body(items, {**filters, "before": next_position} if next_position else None)

    @app.endpoint("/conversations", "POST", action="child.conversation.start", body=StartIn, response=ConversationOut,
                  status=201, also=(200,), max_body=MAX_BODY,
                  summary="Message the staff of a child's current group: 201 a new conversation, 200 the existing "
                          "one of that child and group with the message added")
    def start_conversation(req: Req) -> object:
        principal, body = req.principal, req.body
        tenant = principal.tenant
        group_id = directory_copy.current_group(tenant, body.child_id)
        group = directory_copy.group(tenant, group_id) if group_id else None
        req.authorize(Target.child(tenant, body.child_id, {group_id} if group_id else (),
                                   {group.location_id} if group else ()))
        if group_id is None or group is None:
            raise _refuse(errors.Unprocessable(code="not_placed", errors=[
                {"loc": ["body", "child_id"], "msg": "the child is not in a group today"}]))
        caller = conversations.caller_for(principal, body.child_id, group_id, group.location_id)
        if caller is None:
            raise errors.NotFound()
        try:
            conv, _message, created = conversations.start(
                outbox, tenant, caller, child_id=body.child_id, group_id=group_id, location_id=group.location_id,
                text=body.text, attachment_ids=list(body.attachment_ids), claim=claim)
        except errors.Problem as problem:
            raise _refuse(problem) from None
        out = _single(req, conv, caller)
        return out if created else json_response(out, 200)

    @app.endpoint("/conversations/{conversation_id}", "GET", action="child.conversation.read",
                  response=ConversationOut, summary="A conversation, with the caller's unread count")
    def read_conversation(req: Req, conversation_id: str) -> ConversationOut:
        conv, caller = _conversation(req, conversation_id)
        return _single(req, conv, caller)

    @app.endpoint("/conversations/{conversation_id}/messages", "GET", action="child.conversation.read",
                  query=PageQuery, response=MessagePage,
                  summary="A conversation's messages, newest first, with who of the others has read each")
    def list_messages(req: Req, conversation_id: str) -> dict[str, Any]:
        conv, caller = _conversation(req, conversation_id)
        tenant = req.principal.tenant
        position = req.page_position(req.query.cursor)
        if position and position.get("c") != conv.conversation_id:
            raise errors.BadRequest(code="cursor_of_another_list")
        found = MessageItem.query(conv.pk, MessageItem.sk.startswith("MSG#"), scan_index_forward=False,
                                  limit=req.query.limit, **({"last_evaluated_key": position["k"]} if position else {}))
        page = list(found)
        markers = conversations.markers(tenant, conv.conversation_id)
        group = directory_copy.group(tenant, conv.group_id)
        body = req.page_body([message_out(m, markers, caller.user_id, req.lang) for m in page],
                             {"c": conv.conversation_id, "k": found.last_evaluated_key}
                             if found.last_evaluated_key else None)
        body["child"] = Named(id=conv.child_id, name=directory_copy.child_name(tenant, conv.child_id) or "")
        body["group"] = Named(id=conv.group_id, name=group.name if group else "")
        return body

    @app.endpoint("/conversations/{conversation_id}/messages", "POST", action="child.conversation.write",
                  body=MessageIn, response=MessageOut, status=201, max_body=MAX_BODY,
                  summary="Send a message (guardians of the child, staff of its current group)")
    def send_message(req: Req, conversation_id: str) -> MessageOut:
        conv, caller = _conversation(req, conversation_id)
        tenant = req.principal.tenant
        if not caller.participant:
            raise errors.Forbidden(code="action_not_allowed")
        if directory_copy.current_group(tenant, conv.child_id) != conv.group_id:
            raise _refuse(errors.Unprocessable(code="not_current_group", errors=[
                {"loc": ["path", "conversation_id"], "msg": "the child is no longer in this conversation's group"}]))
        try:
            _conv, message = conversations.send(outbox, tenant, conv, caller, req.body.text,
                                                list(req.body.attachment_ids), claim)
        except errors.Problem as problem:
            raise _refuse(problem) from None
        return message_out(message, [], caller.user_id, req.lang)

    @app.endpoint("/conversations/{conversation_id}/read", "POST", action="child.conversation.read", status=204,
                  summary="The caller has read the conversation: their unread count here goes to 0")
    def mark_read(req: Req, conversation_id: str) -> None:
        conv, caller = _conversation(req, conversation_id)
        try:
            conversations.mark_read(req.principal.tenant, conv.conversation_id, caller)
        except errors.Problem as problem:
            raise _refuse(problem) from None

    @app.endpoint("/unread", "GET", action="messages.unread.read", response=UnreadOut,
                  summary="The caller's unread messages, from maintained counters (one read)")
    def unread(req: Req) -> UnreadOut:
        total, count = conversations.totals(req.principal.tenant, req.principal.user_id)
        return UnreadOut(total=total, conversations=count)
