"""Conversations with the group staff: `/messaging/conversations…` and `GET /messaging/unread`.

Every route answers 404 for a conversation the caller has no part in (another family's, another
group's, another tenant's, or one of a child whose guardian's access has ended), the same as for one
that does not exist. Writing in the conversation of a child's former group: 422 `not_current_group`
(the conversation stays readable as history; a new message goes to the current group's conversation).
The decisions are `rules.py`'s; a route parses, authorizes, calls and maps.
"""

from __future__ import annotations

from typing import Any

from messaging_service import directory_copy
from messaging_service.attachments import store as attachments
from messaging_service.conversations import access, reading, rules, sending, store, views
from messaging_service.conversations.api import (
    MAX_BODY,
    AttachmentOut,
    ConversationOut,
    ConversationPage,
    LastMessage,
    ListQuery,
    MessageIn,
    MessageOut,
    MessagePage,
    Named,
    PageQuery,
    Person,
    Reader,
    StartIn,
    UnreadOut,
)
from messaging_service.conversations.rules import Caller
from messaging_service.conversations.store import ConversationItem, MessageItem
from portal_common import errors, i18n
from portal_common.authz import Role, Target
from portal_common.domain import DomainError
from portal_common.outbox import Outbox
from portal_common.service import PortalApp, Req, json_response


def _refuse(problem: errors.Problem | DomainError) -> errors.Problem | DomainError:
    """The conversation's own text for a refusal of its (`messaging.<code>`), none for any other."""
    problem.detail_key = f"messaging.{problem.code}" if i18n.has(f"messaging.{problem.code}") else None
    return problem


def conversation_out(conv: ConversationItem, listed: views.Listed, lang: str) -> ConversationOut:
    group = listed.groups.get(conv.group_id)
    last = conv.last_message
    sender = last["sender"]
    return ConversationOut(id=conv.conversation_id,
                           child=Named(id=conv.child_id, name=listed.names.get(conv.child_id, "")),
                           group=Named(id=conv.group_id, name=group.name if group else ""),
                           location_id=conv.location_id, created_at=conv.created_at,
                           message_count=int(conv.message_count or 0),
                           last_message=LastMessage(id=last["id"], text=last["text"], sent_at=last["sent_at"],
                                                    sender=Person(id=sender["id"], role=sender["role"], name=(
                                                        rules.shown_name(sender["name"], sender.get("removed"),
                                                                         lang)))),
                           unread_count=listed.unread.get(conv.conversation_id, 0), writable=listed.writable)


def message_out(msg: MessageItem, markers: list[Any], user_id: str, lang: str) -> MessageOut:
    ulid = msg.sk.removeprefix("MSG#")
    read_by = [Reader(id=m.user_id, name=m.name, read_at=m.read_at)
               for m in rules.readers(markers, msg.sender_id, ulid)]
    return MessageOut(id=msg.message_id, conversation_id=msg.conversation_id,
                      sender=Person(id=msg.sender_id, role=msg.sender_role,
                                    name=rules.shown_name(msg.sender_name, msg.sender_removed, lang)),
                      text=msg.text,
                      sent_at=msg.sent_at, read_by=read_by, attachments=[AttachmentOut(**a) for a in msg.attachments],
                      mine=msg.sender_id == user_id)


def _conversation(req: Req, conversation_id: str) -> tuple[ConversationItem, Caller]:
    """The conversation and what the caller is in it; 404 for anyone without a part."""
    tenant = req.principal.tenant
    conv = store.get(tenant, conversation_id)
    if conv is None:
        raise errors.NotFound()
    req.authorize(store.target(tenant, conv))
    caller = access.caller_for(req.principal, conv.child_id, conv.group_id, conv.location_id)
    if caller is None:
        raise errors.NotFound()
    return conv, caller


def _single(req: Req, conv: ConversationItem, caller: Caller) -> ConversationOut:
    return conversation_out(conv, views.single(req.principal.tenant, conv, caller), req.lang)


def _scopes(req: Req, query: ListQuery) -> list[tuple[str, str]]:
    """Whose conversations the caller lists: a parent's children, a staff member's groups, one group."""
    principal, tenant = req.principal, req.principal.tenant
    role = principal.role.value
    staff_groups = views.staff_groups(principal) if principal.role is Role.STAFF else set()
    if query.group_id:
        group = directory_copy.group(tenant, query.group_id)
        req.authorize(Target.group(tenant, query.group_id, group.location_id if group else None),
                      action="group.conversations.read")
        return rules.group_scope(role, query.group_id, group_known=group is not None, staff_groups=staff_groups)
    req.authorize()
    families = directory_copy.families_of(tenant, principal.children) if principal.role is Role.PARENT else {}
    return rules.own_scopes(role, principal.user_id, families=families, staff_groups=staff_groups)


def register(app: PortalApp) -> None:
    outbox: Outbox = app.outbox
    claim = attachments.claim

    @app.endpoint("/conversations", "GET", action="conversations.list", query=ListQuery, response=ConversationPage,
                  summary="A parent's conversations about their children; staff: their groups' inbox (newest "
                          "activity first, `unread=true` for those with unread messages)")
    def list_conversations(req: Req) -> dict[str, Any]:
        query = req.query
        scopes = _scopes(req, query)
        position = req.page_position(query.cursor)
        filters = {"g": query.group_id or "", "u": query.unread}
        if position and {k: position.get(k) for k in filters} != filters:
            raise errors.BadRequest(code="cursor_of_another_list")
        listed = views.inbox(req.principal, scopes, unread_only=query.unread,
                             before=position["before"] if position else None, limit=query.limit)
        items = [conversation_out(c, listed, req.lang) for c in listed.conversations]
        return req.page_body(items, {**filters, "before": listed.next_position} if listed.next_position else None)

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
        group_id, location_id = rules.check_placed(group_id, group.location_id if group else None)
        caller = access.caller_for(principal, body.child_id, group_id, location_id)
        if caller is None:
            raise errors.NotFound()
        try:
            conv, _message, created = sending.start(
                outbox, tenant, caller, child_id=body.child_id, group_id=group_id, location_id=location_id,
                text=body.text, attachment_ids=list(body.attachment_ids), claim=claim)
        except (errors.Problem, DomainError) as problem:
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
        position = req.page_position(req.query.cursor)
        if position and position.get("c") != conv.conversation_id:
            raise errors.BadRequest(code="cursor_of_another_list")
        page = views.messages(req.principal.tenant, conv, req.query.limit, position["k"] if position else None)
        body = req.page_body([message_out(m, page.markers, caller.user_id, req.lang) for m in page.messages],
                             {"c": conv.conversation_id, "k": page.last_key} if page.last_key else None)
        body["child"] = Named(id=conv.child_id, name=page.child_name)
        body["group"] = Named(id=conv.group_id, name=page.group_name)
        return body

    @app.endpoint("/conversations/{conversation_id}/messages", "POST", action="child.conversation.write",
                  body=MessageIn, response=MessageOut, status=201, max_body=MAX_BODY,
                  summary="Send a message (guardians of the child, staff of its current group)")
    def send_message(req: Req, conversation_id: str) -> MessageOut:
        conv, caller = _conversation(req, conversation_id)
        if not caller.participant:
            raise errors.Forbidden(code="action_not_allowed")
        try:
            _conv, message = sending.write(outbox, req.principal.tenant, conv, caller, req.body.text,
                                           list(req.body.attachment_ids), claim)
        except (errors.Problem, DomainError) as problem:
            raise _refuse(problem) from None
        return message_out(message, [], caller.user_id, req.lang)

    @app.endpoint("/conversations/{conversation_id}/read", "POST", action="child.conversation.read", status=204,
                  summary="The caller has read the conversation: their unread count here goes to 0")
    def mark_read(req: Req, conversation_id: str) -> None:
        conv, caller = _conversation(req, conversation_id)
        try:
            reading.mark_read(req.principal.tenant, conv.conversation_id, caller)
        except (errors.Problem, DomainError) as problem:
            raise _refuse(problem) from None

    @app.endpoint("/unread", "GET", action="messages.unread.read", response=UnreadOut,
                  summary="The caller's unread messages, from maintained counters (one read)")
    def unread(req: Req) -> UnreadOut:
        total, count = store.totals(req.principal.tenant, req.principal.user_id)
        return UnreadOut(total=total, conversations=count)
